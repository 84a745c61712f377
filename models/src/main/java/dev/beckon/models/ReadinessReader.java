package dev.beckon.models;

import dev.beckon.models.TomlFile.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads what says when a service is ready: {@code notify} and {@code ready-timeout} in its table, its
 * {@code [services.X.health]} table, and {@code verify} in its on-demand table.
 */
final class ReadinessReader {
    static final Set<String> SERVICE_KEYS = Set.of("notify", "ready-timeout", "health");
    static final Set<String> ON_DEMAND_KEYS = Set.of("verify");
    private static final Set<String> HEALTH_KEYS = Set.of("tcp", "http", "exec", "timeout", "interval", "retries");
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** Parses one model string into a template, reporting its errors and recording its placeholders for checking. */
    interface Templates {
        Optional<Template> parse(Node node, String text);
    }

    private final Diagnostics diagnostics;
    private final ValueReader values;

    ReadinessReader(Diagnostics diagnostics, ValueReader values) {
        this.diagnostics = diagnostics;
        this.values = values;
    }

    /** The readiness of the service in {@code node}, of module {@code type} (empty while unknown). */
    Readiness read(String service, Node node, Optional<String> type, Templates templates) {
        boolean notify = false;
        Optional<Node> notifyNode = node.get("notify");
        if (notifyNode.isPresent()) {
            notify = values.bool(notifyNode.get()).orElse(false);
            if (notify && type.isPresent() && !type.get().equals("systemd-unit")) {
                diagnostics.error(notifyNode.get().where(), "notify = true needs a service manager that reads READY=1 from "
                        + "NOTIFY_SOCKET, and service " + service + " has type " + type.get()
                        + "; only systemd-unit services can notify; declare a [services." + service + ".health] check instead");
                notify = false;
            }
        }
        Duration timeout = node.get("ready-timeout").flatMap(t -> duration(t, "ready-timeout")).orElse(Readiness.DEFAULT_TIMEOUT);
        Optional<HealthCheck> health = node.get("health").flatMap(values::table).flatMap(table -> health(service, table, templates));
        boolean verifyStart = false;
        Optional<Node> onDemand = node.get("on-demand").filter(n -> n.json().isObject());
        Optional<Node> verifyNode = onDemand.flatMap(t -> t.get("verify"));
        if (verifyNode.isPresent()) {
            Optional<String> verify = values.string(verifyNode.get());
            if (verify.isPresent() && !verify.get().equals("start") && !verify.get().equals("none")) {
                diagnostics.error(verifyNode.get().where(), "verify must be \"start\" (the deployment starts the new version once and "
                        + "checks it) or \"none\" (the first connection starts it), not " + Messages.quote(verify.get()));
            }
            verifyStart = verify.filter("start"::equals).isPresent();
            boolean accept = onDemand.flatMap(t -> t.get("accept")).map(a -> a.json().asBoolean(false)).orElse(false);
            if (verifyStart && accept && health.isEmpty()) {
                diagnostics.error(verifyNode.get().where(), "service " + service + " starts one process per connection (accept = true),"
                        + " so only a connection can start it; verify = \"start\" needs a [services." + service
                        + ".health] check to make one");
            }
        }
        return new Readiness(notify, timeout, health, verifyStart);
    }

    private Optional<HealthCheck> health(String service, Node table, Templates templates) {
        values.checkKeys(table, HEALTH_KEYS, "the health table of service " + service);
        List<String> kinds = table.keys().stream().filter(k -> HealthCheck.Kind.named(k).isPresent()).toList();
        if (kinds.size() != 1) {
            diagnostics.error(table.keyWhere(), "the health check of service " + service + " needs exactly one of tcp = \"HOST:PORT\", "
                    + "http = \"http://HOST:PORT/PATH\" or exec = [\"PROGRAM\", ...]" + (kinds.isEmpty() ? "" : ", not "
                    + String.join(" and ", kinds)));
            return Optional.empty();
        }
        HealthCheck.Kind kind = HealthCheck.Kind.named(kinds.get(0)).orElseThrow();
        Node probeNode = table.get(kinds.get(0)).orElseThrow();
        List<Template> probe = new ArrayList<>();
        boolean valid;
        if (kind == HealthCheck.Kind.EXEC) {
            valid = values.array(probeNode).map(list -> {
                if (list.elements().isEmpty()) {
                    diagnostics.error(list.where(), "exec of the health check of service " + service + " is empty; it needs at least the program");
                    return false;
                }
                boolean all = true;
                for (Node argument : list.elements()) {
                    Optional<Template> parsed = values.string(argument).filter(text -> values.fitsInOneArgument(argument, text, text))
                            .flatMap(text -> templates.parse(argument, text));
                    parsed.ifPresent(probe::add);
                    all &= parsed.isPresent();
                }
                if (all && probe.get(0).source().isEmpty()) {
                    diagnostics.error(list.elements().get(0).where(), "the program in exec of the health check of service " + service + " is empty");
                    return false;
                }
                return all;
            }).orElse(false);
        } else {
            Optional<Template> parsed = values.string(probeNode).flatMap(text -> templates.parse(probeNode, text));
            valid = parsed.filter(t -> checkShape(kind, probeNode, t)).isPresent();
            parsed.ifPresent(probe::add);
        }
        Duration timeout = table.get("timeout").flatMap(t -> duration(t, "timeout")).orElse(HealthCheck.DEFAULT_TIMEOUT);
        Duration interval = table.get("interval").flatMap(t -> duration(t, "interval")).orElse(HealthCheck.DEFAULT_INTERVAL);
        int retries = HealthCheck.DEFAULT_RETRIES;
        Optional<Node> retriesNode = table.get("retries");
        if (retriesNode.isPresent()) {
            Node node = retriesNode.get();
            if (node.json().isIntegralNumber() && node.json().asLong() >= 1 && node.json().asLong() <= HealthCheck.MAX_RETRIES) {
                retries = node.json().asInt();
            } else {
                diagnostics.error(node.where(), "retries must be a number of attempts from 1 to " + HealthCheck.MAX_RETRIES + ", not "
                        + (node.json().isIntegralNumber() ? node.json().asText() : node.typeName()));
            }
        }
        return valid ? Optional.of(new HealthCheck(kind, probe, timeout, interval, retries)) : Optional.empty();
    }

    /**
     * A probe's shape is checked with its placeholders standing for sample values; the values a target
     * gives are checked again where the probe runs.
     */
    private boolean checkShape(HealthCheck.Kind kind, Node node, Template template) {
        String sample = template.render(ReadinessReader::sampleValue);
        Optional<String> problem = kind == HealthCheck.Kind.TCP ? HealthProbes.tcpProblem(sample) : HealthProbes.httpProblem(sample);
        problem.ifPresent(p -> diagnostics.error(node.where(), kind.modelName() + " " + Messages.quote(template.source()) + " " + p));
        return problem.isEmpty();
    }

    private static String sampleValue(Placeholder placeholder) {
        if (placeholder instanceof Placeholder.Port || placeholder instanceof Placeholder.DependencyPort) {
            return "1";
        }
        if (placeholder instanceof Placeholder.PackagePath) {
            return "/package";
        }
        return "localhost";
    }

    private Optional<Duration> duration(Node node, String key) {
        Optional<String> text = values.string(node);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            Duration parsed = Durations.parse(text.get());
            if (parsed.isZero() || parsed.compareTo(MAX_TIMEOUT) > 0) {
                diagnostics.error(node.where(), key + " must be more than 0 and at most 1h, not " + Messages.quote(text.get()));
                return Optional.empty();
            }
            return Optional.of(parsed);
        } catch (IllegalArgumentException e) {
            diagnostics.error(node.where(), key + " " + e.getMessage());
            return Optional.empty();
        }
    }
}
