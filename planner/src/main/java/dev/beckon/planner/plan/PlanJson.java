package dev.beckon.planner.plan;

import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.manifest.ManifestJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A plan as JSON, for programs. The schema is stable; fields are only ever added:
 * <pre>
 * {"format_version": 1, "profile": "default",
 *  "changes": [{"action": "activate" | "change" | "deactivate", "target": "local", "service": "hello",
 *               "type": "systemd-unit", "reasons": ["..."], "hash_before": "..." | null, "hash_after": "..." | null}],
 *  "summary": {"activate": 1, "change": 0, "deactivate": 0}}
 * </pre>
 */
public final class PlanJson {
    public static final int FORMAT_VERSION = 1;

    private PlanJson() {}

    public static String render(Plan plan) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format_version", FORMAT_VERSION);
        root.put("profile", plan.desired().profile());
        List<Map<String, Object>> changes = plan.changes().stream().map(change -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("action", change.action().name().toLowerCase());
            json.put("target", change.target());
            json.put("service", change.service());
            json.put("type", change.desired().or(change::recorded).orElseThrow().type());
            json.put("reasons", change.reasons());
            json.put("hash_before", change.recorded().map(ManifestEntry::hash).orElse(null));
            json.put("hash_after", change.desired().map(ManifestEntry::hash).orElse(null));
            return json;
        }).toList();
        root.put("changes", changes);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (Action action : Action.values()) {
            summary.put(action.name().toLowerCase(), plan.count(action));
        }
        root.put("summary", summary);
        try {
            return ManifestJson.mapper().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a plan as JSON (this is a bug): " + e.getMessage(), e);
        }
    }
}
