package dev.beckon.planner.knobs;

import dev.beckon.models.Knob;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** How the knobs of two versions of an instance differ, in words for the plan. */
public final class KnobChanges {
    private KnobChanges() {}

    /**
     * Empty when they are the same. A layout change says which knobs carry their value over into the new region (same
     * name and type, the value still one of theirs: checked on the target at activation) and which start at their default.
     */
    public static List<String> between(List<Knob> before, List<Knob> after) {
        List<String> reasons = new ArrayList<>();
        if (before.equals(after)) {
            return reasons;
        }
        if (after.isEmpty()) {
            reasons.add("knobs removed");
            return reasons;
        }
        if (before.isEmpty()) {
            reasons.add("knobs declared: " + String.join(", ", after.stream().map(Knob::name).toList()));
            return reasons;
        }
        if (KnobRegion.layoutText(before).equals(KnobRegion.layoutText(after))) {
            List<String> defaults = new ArrayList<>();
            for (int i = 0; i < after.size(); i++) {
                if (before.get(i).defaultValue() != after.get(i).defaultValue()) {
                    defaults.add(after.get(i).name());
                }
            }
            reasons.add("knob default changed: " + String.join(", ", defaults) + " (the values set now are kept)");
            return reasons;
        }
        List<String> carried = new ArrayList<>();
        List<String> reset = new ArrayList<>();
        for (Knob knob : after) {
            boolean kept = before.stream().anyMatch(old -> old.name().equals(knob.name()) && old.type().equals(knob.type()));
            (kept ? carried : reset).add(knob.name());
        }
        List<String> dropped = before.stream().map(Knob::name)
                .filter(name -> after.stream().noneMatch(k -> Objects.equals(k.name(), name))).toList();
        reasons.add("knob layout changed; values carried over: " + (carried.isEmpty() ? "none" : String.join(", ", carried))
                + (reset.isEmpty() ? "" : "; at their default: " + String.join(", ", reset))
                + (dropped.isEmpty() ? "" : "; dropped: " + String.join(", ", dropped)));
        return reasons;
    }
}
