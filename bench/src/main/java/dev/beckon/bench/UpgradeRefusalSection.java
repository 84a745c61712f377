package dev.beckon.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark page's section on connections refused during always-on upgrades, and its aim. */
final class UpgradeRefusalSection {
    private UpgradeRefusalSection() {}

    static void write(StringBuilder page, UpgradeRefusalBenchmark.Result result, List<BenchmarkReport.Aim> aims) {
        page.append("## 5. Refused connections during an always-on upgrade\n\n")
                .append("One client connects to the hello-world example's server again and again, as fast as it can, while it is ")
                .append("upgraded or restarted; each connection is counted by how it ended (refused: nothing listened; reset; ")
                .append("unanswered: no greeting within 10 s). beckon with the listener held by systemd (`[services.X.sockets]`) ")
                .append("upgrades by `beckon deploy` of a new greeting; the same server binding its own port is restarted with a plain ")
                .append("`systemctl restart`, which is what any upgrade of it does.\n\n")
                .append("| variant | changes | connections | answered | refused | reset | unanswered |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map.Entry<String, UpgradeRefusalBenchmark.Counts> variant : result.variants().entrySet()) {
            UpgradeRefusalBenchmark.Counts c = variant.getValue();
            page.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d |%n", variant.getKey(), c.changes(), c.connections(),
                    c.answered(), c.refused(), c.reset(), c.unanswered()));
        }
        page.append('\n');
        UpgradeRefusalBenchmark.Counts held = result.variants().get(UpgradeRefusalBenchmark.HELD);
        UpgradeRefusalBenchmark.Counts own = result.variants().get(UpgradeRefusalBenchmark.OWN);
        int lost = held.refused() + held.reset() + held.unanswered();
        aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "connections refused, reset or unanswered in %d always-on upgrades "
                + "with the socket held by systemd", held.changes()), "0",
                String.format(Locale.ROOT, "%d (a self-binding server under systemctl restart: %d refused in %d restarts)", lost, own.refused(),
                        own.changes()),
                lost == 0 ? BenchmarkReport.Status.MET : BenchmarkReport.Status.MISSED,
                "the kernel's backlog of the socket systemd keeps listening, while the old process drains and the new one starts"));
    }
}
