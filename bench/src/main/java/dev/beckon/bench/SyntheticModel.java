package dev.beckon.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a model of {@code services x targets} instances as a user would: every service on every
 * target, half of them on demand, in dependency chains of ten whose members connect to the one before
 * through placeholders, sharing a few packages. Every feature that costs the planner something per
 * instance is used: ports, placeholders of dependencies and targets, environment, on-demand sockets.
 */
final class SyntheticModel {
    private static final int CHAIN_LENGTH = 10;
    private static final int PACKAGES = 8;
    private static final int FIRST_PORT = 10_000;

    private SyntheticModel() {}

    /** The name of the i-th service: zero-padded, so alphabetical order is creation order. */
    static String service(int i) {
        return String.format("s%05d", i);
    }

    static String target(int i) {
        return String.format("t%03d", i);
    }

    static void write(Path directory, int services, int targets) throws IOException {
        Files.createDirectories(directory.resolve("packages"));
        Random random = new Random(services * 31L + targets);
        for (int p = 0; p < PACKAGES; p++) {
            byte[] content = new byte[64 * 1024];
            random.nextBytes(content);
            Files.write(directory.resolve("packages/p" + p + ".jar"), content);
        }
        StringBuilder model = new StringBuilder(services * 600);
        for (int s = 0; s < services; s++) {
            String name = service(s);
            boolean chained = s % CHAIN_LENGTH != 0;
            String upstream = chained ? service(s - 1) : "";
            model.append("[services.").append(name).append("]\n")
                    .append("description = \"synthetic service ").append(s).append("\"\n")
                    .append("type = \"systemd-unit\"\n")
                    .append("package = \"packages/p").append(s % PACKAGES).append(".jar\"\n")
                    .append("exec = [\"java\", \"-Xmx64m\", \"-jar\", \"{package}\", \"--port\", \"{ports.http}\", \"--name\", \"{target.name}\"");
            if (chained) {
                model.append(", \"--upstream\", \"{deps.").append(upstream).append(".host}:{deps.").append(upstream)
                        .append(".ports.http}\"");
            }
            model.append("]\n")
                    .append("ports = { http = ").append(FIRST_PORT + s).append(" }\n")
                    .append("environment = { SERVICE = \"").append(name).append("\", ZONE = \"{target.properties.zone}\" }\n");
            if (chained) {
                model.append("depends-on = [\"").append(upstream).append("\"]\n");
            }
            if (s % 2 == 0) {
                model.append("[services.").append(name).append(".on-demand]\n")
                        .append("listen = [\"127.0.0.1:{ports.http}\"]\n")
                        .append("idle-timeout = \"30s\"\n");
            }
            model.append('\n');
        }
        Files.writeString(directory.resolve("services.toml"), model);

        StringBuilder infrastructure = new StringBuilder();
        for (int t = 0; t < targets; t++) {
            String name = target(t);
            infrastructure.append("[targets.").append(name).append("]\n")
                    .append("host = \"localhost\"\n")
                    .append("hostname = \"10.0.").append(t / 250).append('.').append(t % 250 + 1).append("\"\n")
                    .append("state-dir = \"").append(directory.resolve("state").resolve(name)).append("\"\n")
                    .append("properties = { zone = \"zone-").append(t % 3).append("\" }\n")
                    .append("[targets.").append(name).append(".containers.systemd-unit]\n")
                    .append("scope = \"user\"\n")
                    // Every service is on every target, so each target needs a service manager of its own (it is
                    // planned, never deployed, so the bus need not exist).
                    .append("bus = \"unix:path=/run/beckon-bench/").append(name).append("/bus\"\n\n");
        }
        Files.writeString(directory.resolve("infrastructure.toml"), infrastructure);

        StringBuilder everywhere = new StringBuilder("[");
        for (int t = 0; t < targets; t++) {
            everywhere.append(t == 0 ? "\"" : ", \"").append(target(t)).append('"');
        }
        everywhere.append("]\n");
        StringBuilder distribution = new StringBuilder();
        for (int s = 0; s < services; s++) {
            distribution.append(service(s)).append(" = ").append(everywhere);
        }
        Files.writeString(directory.resolve("distribution.toml"), distribution);
    }
}
