package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.beckon.activation.InstanceStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What runs against what the current generation says should: one word per instance, as people and
 * programs read it. Pure: a manifest and its statuses always give the same text.
 */
public final class StatusReport {
    /** How many of a failed instance's last log lines the text shows. */
    private static final int TEXT_LOG_LINES = 3;

    private StatusReport() {}

    /** One word for an instance: listening, running, unhealthy, inactive, failed, missing or drifted. */
    public static String state(InstanceStatus status) {
        if (status.presence() == InstanceStatus.Presence.MISSING) {
            return "missing";
        }
        if (!status.drift().isEmpty()) {
            return "drifted";
        }
        return status.activity().name().toLowerCase();
    }

    /** Whether the instance is as deployed: there, unchanged, and listening or running. */
    public static boolean asDeployed(InstanceStatus status) {
        return status.isHealthy();
    }

    public static String text(Manifest recorded, Map<String, InstanceStatus> live, String generation) {
        StringBuilder out = new StringBuilder();
        out.append("Profile ").append(recorded.profile()).append(", ").append(generation).append('\n');
        String target = null;
        long good = 0;
        for (ManifestEntry entry : recorded.entries().stream()
                .sorted((a, b) -> a.target().compareTo(b.target())).toList()) {
            if (!entry.target().equals(target)) {
                target = entry.target();
                out.append("\ntarget ").append(target).append('\n');
            }
            InstanceStatus status = live.get(entry.id());
            good += asDeployed(status) ? 1 : 0;
            out.append(String.format("  %-20s %-10s %s%n", entry.service(), state(status), explanation(status)));
            List<String> log = status.log();
            // A couple of the failed run's lines say why; beckon logs shows the rest.
            log.subList(Math.max(0, log.size() - TEXT_LOG_LINES), log.size())
                    .forEach(line -> out.append(String.format("  %-20s %-10s | %s%n", "", "", line)));
        }
        long total = recorded.entries().size();
        out.append('\n').append(total).append(total == 1 ? " instance: " : " instances: ").append(good).append(" as deployed");
        if (good < total) {
            out.append(", ").append(total - good).append(" not");
        }
        return out.append(".\n").toString();
    }

    private static String explanation(InstanceStatus status) {
        if (!status.drift().isEmpty()) {
            return String.join("; ", status.drift());
        }
        return status.detail();
    }

    public static String json(Manifest recorded, Map<String, InstanceStatus> live, int generation) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format_version", 1);
        root.put("profile", recorded.profile());
        root.put("generation", generation);
        List<Map<String, Object>> instances = recorded.entries().stream().map(entry -> {
            InstanceStatus status = live.get(entry.id());
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("target", entry.target());
            json.put("service", entry.service());
            json.put("state", state(status));
            json.put("as_deployed", asDeployed(status));
            json.put("detail", status.detail());
            json.put("drift", status.drift());
            if (!status.log().isEmpty()) {
                json.put("log", status.log());
            }
            return json;
        }).toList();
        root.put("instances", instances);
        try {
            return ManifestJson.mapper().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a status as JSON (this is a bug): " + e.getMessage(), e);
        }
    }
}
