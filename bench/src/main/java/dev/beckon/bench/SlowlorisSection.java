package dev.beckon.bench;

import java.util.List;
import java.util.Locale;

/** The benchmark page's section on idle connections held open against a service, with the library's bound and without. */
final class SlowlorisSection {
    private SlowlorisSection() {}

    static void write(StringBuilder page, SlowlorisBenchmark.Result result, List<BenchmarkReport.Aim> aims) {
        SlowlorisBenchmark.Variant first = result.variants().get(0);
        page.append("## 6. Idle connections held open (slowloris)\n\n")
                .append(String.format(Locale.ROOT, "%,d clients connect at once, send one byte and hold their connection open and idle ", first.clients()))
                .append("against the idle-monitor README's echo server (a thread per connection from a cached pool, a 4 KiB buffer each), ")
                .append("socket-activated by the sandbox's systemd with `BECKON_IDLE_TIMEOUT=").append(SlowlorisBenchmark.IDLE_TIMEOUT.toSeconds())
                .append("s`, with the library's connection bound (`BECKON_MAX_CONNECTIONS`, what beckon sets from `limits.connections`) and ")
                .append("without one. *Held*: once nothing changed for 10 s (at least 15 s): the service's resident set and threads, the ")
                .append("clients it served (their byte came back), the connections queued in the listener's backlog (its accept queue, ")
                .append("which the kernel caps at `net.core.somaxconn`) and the connects the kernel had not completed (it answers them as ")
                .append("the queue empties). *Then* every served client closes as soon as its byte came back, so the waiting ones are ")
                .append("served as others close; *lost* counts the clients never served. Peaks are sampled every 250 ms over the whole run.\n\n")
                .append("| bound | held | served | in the backlog | still connecting | resident | threads | peak resident | peak threads "
                        + "| served in all | lost | processes | until all served | exit after the last close |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for (SlowlorisBenchmark.Variant v : result.variants()) {
            page.append(String.format(Locale.ROOT, "| %s | %.0f s | %,d | %,d | %,d | %s | %,d | %s | %,d | %,d | %,d | %d | %.1f s | %s |%n",
                    v.bound() == 0 ? "none" : String.format(Locale.ROOT, "%,d", v.bound()), v.heldSeconds(), v.servedWhileHeld(), v.inBacklog(),
                    v.connecting(), BenchmarkReport.bytes(v.residentBytes()), v.threads(), BenchmarkReport.bytes(v.peakResidentBytes()),
                    v.peakThreads(), v.served(), v.lost(), v.processes(), v.releaseSeconds(),
                    v.exitAfterLastCloseMillis() < 0 ? "did not end within a minute" : String.format(Locale.ROOT, "%.1f s (%s)",
                            v.exitAfterLastCloseMillis() / 1000, v.exit())));
        }
        page.append('\n');
        aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "clients lost of %,d held open idle against a bound of %,d, then served "
                + "as others closed", first.clients(), first.bound()), "0", String.valueOf(first.lost()),
                first.lost() == 0 ? BenchmarkReport.Status.MET : BenchmarkReport.Status.MISSED,
                String.format(Locale.ROOT, "not the service: at the bound accept() waits and the kernel queues the rest, but the "
                        + "listen queue is capped at net.core.somaxconn (%s on this machine): %,d served and %,d queued while held, the "
                        + "other %,d wait in their connect, which the kernel retries for about 127 s (tcp_syn_retries 6) before it fails; "
                        + "serving all as others closed took %.1f s. The idle exit looks at the backlog before it ends",
                        somaxconn(), first.servedWhileHeld(), first.inBacklog(), first.connecting(), first.releaseSeconds())));
        aims.add(new BenchmarkReport.Aim(String.format(Locale.ROOT, "the service's threads with %,d idle clients and a bound of %,d",
                first.clients(), first.bound()), "at most the bound plus 100 (the JVM's own)",
                String.format(Locale.ROOT, "%,d (peak %,d; %s resident, peak %s)", first.threads(), first.peakThreads(),
                        BenchmarkReport.bytes(first.residentBytes()), BenchmarkReport.bytes(first.peakResidentBytes())),
                first.peakThreads() <= first.bound() + 100 ? BenchmarkReport.Status.MET : BenchmarkReport.Status.MISSED,
                "a thread per connection, and the bound holds the connections"));
    }

    /** The kernel's cap on a listen queue, as this machine has it. */
    private static String somaxconn() {
        try {
            // By lines: Files.readString trusts the size /proc reports (0) and read "4" of "4096".
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/core/somaxconn")).get(0).strip();
        } catch (java.io.IOException | IndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
