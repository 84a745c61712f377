package dev.beckon.planner.plan;

/** What a plan does to one instance, with the symbol plans show for it. */
public enum Action {
    ACTIVATE("+", "will be activated", "to activate"),
    CHANGE("~", "will be changed", "to change"),
    DEACTIVATE("-", "will be deactivated", "to deactivate"),
    /** Its type or container settings change: deactivated in its old module session, activated in its new one. */
    REPLACE("-/+", "will be replaced", "to replace");

    private final String symbol;
    private final String future;
    private final String summary;

    Action(String symbol, String future, String summary) {
        this.symbol = symbol;
        this.future = future;
        this.summary = summary;
    }

    public String symbol() {
        return symbol;
    }

    /** "will be activated", for the plan's headline per instance. */
    public String future() {
        return future;
    }

    /** "to activate", for the summary line. */
    public String summary() {
        return summary;
    }
}
