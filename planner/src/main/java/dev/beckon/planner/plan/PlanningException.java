package dev.beckon.planner.plan;

/** The plan cannot be made: a package is unreadable, a module refuses an instance, a target is unreachable. */
public class PlanningException extends Exception {
    private static final long serialVersionUID = 1L;

    public PlanningException(String message, Throwable cause) {
        super(message, cause);
    }

    public PlanningException(String message) {
        super(message);
    }
}
