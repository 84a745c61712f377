package dev.beckon.activation;

import dev.beckon.models.Messages;
import java.util.List;

/**
 * An activation module could not do what it was asked. Says which instance and, where the service
 * manager told, which unit, with what result and the last lines of its log.
 */
public class ActivationException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String instance;
    private final List<String> logTail;
    private final String reason;

    public ActivationException(String instance, String message, List<String> logTail, Throwable cause) {
        super(instance + ": " + message, cause);
        this.instance = instance;
        this.reason = message;
        // Lines from a journal or a log file are the service's own text: escaped here, where every tail passes.
        this.logTail = logTail.stream().map(Messages::printable).toList();
    }

    public ActivationException(String instance, String message) {
        this(instance, message, List.of(), null);
    }

    public ActivationException(String instance, String message, Throwable cause) {
        this(instance, message, List.of(), cause);
    }

    /** The instance, as {@code SERVICE@TARGET}, or the target when no instance is concerned. */
    public String instance() {
        return instance;
    }

    /** The message without the instance it is about, to pass on in another's words. */
    public String reason() {
        return reason;
    }

    /** The last lines the failed service logged, oldest first; empty when none could be read. */
    public List<String> logTail() {
        return logTail;
    }

    /** The message followed by the log tail, indented, as a person should see it. */
    public String describe() {
        StringBuilder out = new StringBuilder(getMessage());
        if (!logTail.isEmpty()) {
            out.append("\n  last lines of its log:");
            logTail.forEach(line -> out.append("\n    ").append(line));
        }
        return out.toString();
    }
}
