package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** What the figures were taken on, as the report prints it. */
record Machine(String cpu, int cores, long memoryBytes, String os, String kernel, String java, String systemd, String date) {

    static Machine describe() throws IOException {
        String cpu = firstMatching(Path.of("/proc/cpuinfo"), "model name").map(line -> line.substring(line.indexOf(':') + 1).strip())
                .orElse("unknown");
        long memory = firstMatching(Path.of("/proc/meminfo"), "MemTotal:").map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024)
                .orElse(-1L);
        String os = firstMatching(Path.of("/etc/os-release"), "PRETTY_NAME=").map(line -> line.substring(line.indexOf('=') + 1)
                .replace("\"", "")).orElse("unknown");
        String kernel = read(Path.of("/proc/sys/kernel/osrelease")).strip();
        String java = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vm.vendor") + ")";
        String systemd;
        try {
            systemd = Command.run(List.of("systemctl", "--version"), Map.of(), Duration.ofSeconds(10)).output().lines().findFirst()
                    .orElse("unknown");
        } catch (IOException e) {
            systemd = "unknown (" + e.getMessage() + ")";
        }
        String date = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm zzz", Locale.ROOT));
        return new Machine(cpu, Runtime.getRuntime().availableProcessors(), memory, os, kernel, java, systemd, date);
    }

    /** The 1-, 5- and 15-minute load averages now, which say how much else ran meanwhile. */
    static String loadAverage() {
        try {
            String[] fields = read(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The machine's processor time so far, all cores together, from /proc/stat: busy and in all, in clock ticks. */
    record CpuTime(long busy, long total) {
        /** The share of the processors' time between {@code earlier} and this that was busy, 0 to 1. */
        double busySince(CpuTime earlier) {
            long all = total - earlier.total;
            return all <= 0 ? 0 : (busy - earlier.busy) / (double) all;
        }
    }

    /** The processors' time so far (idle and waiting for I/O count as not busy); zeros where /proc/stat cannot be read. */
    static CpuTime cpuTime() {
        try {
            String[] fields = firstMatching(Path.of("/proc/stat"), "cpu ").orElse("cpu 0").trim().split("\\s+");
            long total = 0;
            long idle = 0;
            for (int i = 1; i < fields.length && i <= 8; i++) {
                long ticks = Long.parseLong(fields[i]);
                total += ticks;
                if (i == 4 || i == 5) {
                    idle += ticks; // idle, iowait
                }
            }
            return new CpuTime(total - idle, total);
        } catch (IOException | NumberFormatException e) {
            return new CpuTime(0, 0);
        }
    }

    private static Optional<String> firstMatching(Path file, String prefix) throws IOException {
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        return Files.readAllLines(file).stream().filter(line -> line.startsWith(prefix)).findFirst();
    }

    private static String read(Path file) throws IOException {
        return Files.isReadable(file) ? Files.readString(file) : "unknown";
    }
}
