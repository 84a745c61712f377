package dev.beckon.activation.external;

import dev.beckon.models.Messages;
import dev.beckon.activation.InstanceStatus;
import dev.beckon.activation.Launcher;
import dev.beckon.activation.ServiceInstance;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads an external module's answer to {@code query}: lines {@code KEY=VALUE} on standard output,
 * keys {@code presence}, {@code activity}, {@code drift} (repeatable) and {@code detail}. Blank lines
 * and lines starting with {@code #} are skipped, unknown keys ignored (later versions may add some).
 */
final class QueryAnswer {
    private QueryAnswer() {}

    /**
     * The status the answer gives. What the module leaves out comes from beckon's own files: their
     * presence, and an activity that assumes the instance does what it was activated to do.
     *
     * @param files whether beckon's files for the instance are in its directory
     * @param drift how beckon's files differ from what it would write; the module's drift lines are added
     * @throws IllegalArgumentException for a line that is not KEY=VALUE or a value beckon does not know
     */
    static InstanceStatus parse(String answer, ServiceInstance instance, InstanceStatus.Presence files, List<String> drift, String type) {
        InstanceStatus.Presence presence = null;
        InstanceStatus.Activity activity = null;
        List<String> allDrift = new ArrayList<>(drift);
        List<String> details = new ArrayList<>();
        boolean answered = false;
        String[] lines = answer.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("line " + (i + 1) + " " + Messages.quote(line)
                        + " is not KEY=VALUE (messages belong on standard error)");
            }
            String key = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            switch (key) {
                case "presence" -> presence = value(InstanceStatus.Presence.class, key, value, i);
                case "activity" -> activity = value(InstanceStatus.Activity.class, key, value, i);
                case "drift" -> allDrift.add(Messages.printable(value));
                case "detail" -> details.add(Messages.printable(value));
                default -> {
                    continue;
                }
            }
            answered = true;
        }
        if (presence == null) {
            presence = files;
        }
        if (activity == null) {
            activity = presence == InstanceStatus.Presence.MISSING ? InstanceStatus.Activity.INACTIVE
                    : instance.isOnDemand() ? InstanceStatus.Activity.LISTENING : InstanceStatus.Activity.RUNNING;
        }
        if (!answered) {
            details.add(type + " gave no answer to query; beckon goes by the files it wrote");
        }
        return new InstanceStatus(presence, activity, allDrift, String.join("; ", details));
    }

    private static <E extends Enum<E>> E value(Class<E> type, String key, String value, int index) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> known = new ArrayList<>();
            for (E constant : type.getEnumConstants()) {
                known.add(constant.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException("line " + (index + 1) + ": " + key + " " + Messages.quote(value) + " is not one of "
                    + String.join(", ", known));
        }
    }
}
