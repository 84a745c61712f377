package dev.beckon.bench;

import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Models of many copies of the hello-world example's server, each on its own port, for one target
 * that is the sandbox's systemd: the shape of the deployment and idle-cost benchmarks.
 */
final class HelloModels {
    /** The example's own JVM options (example-systems/hello-world/services.toml). */
    static final String JVM_OPTIONS = "\"-XX:TieredStopAtLevel=1\", \"-XX:+UseSerialGC\"";

    private HelloModels() {}

    static String serviceName(int i) {
        return String.format("h%03d", i);
    }

    /** The unit beckon writes for a service of these models (profile default). */
    static String unit(int i, String suffix) {
        return "beckon-default-" + serviceName(i) + suffix;
    }

    /**
     * Writes {@code services.toml}, {@code infrastructure.toml} and {@code distribution.toml} into
     * {@code directory}, plus an empty distribution beside them for removing everything again.
     *
     * @param onDemand true: socket activated, idle after 5 s as in the example; false: always running, binding its own port
     */
    static Path write(Path directory, Path helloServer, List<Integer> ports, SystemdUserManager systemd, Path stateDirectory,
            boolean onDemand) throws IOException {
        Files.createDirectories(directory);
        StringBuilder services = new StringBuilder();
        StringBuilder distribution = new StringBuilder();
        for (int i = 0; i < ports.size(); i++) {
            String name = serviceName(i);
            services.append("[services.").append(name).append("]\n")
                    .append("description = \"Greets every client with one line\"\n")
                    .append("type = \"systemd-unit\"\n")
                    .append("package = \"").append(helloServer).append("\"\n")
                    .append("exec = [\"java\", ").append(JVM_OPTIONS).append(", \"-jar\", \"{package}/hello-server.jar\", \"--greeting\", \"hello from ")
                    .append(name).append('"').append(onDemand ? "" : ", \"--port\", \"{ports.greeting}\"").append("]\n")
                    .append("ports = { greeting = ").append(ports.get(i)).append(" }\n")
                    .append("environment = { GREETING = \"hello\" }\n")
                    // These benchmarks measure deploying and idling, not cold starts: a training start per copy would dominate.
                    .append("class-data-archive = false\n");
            if (onDemand) {
                services.append("[services.").append(name).append(".on-demand]\n")
                        .append("listen = [\"127.0.0.1:{ports.greeting}\"]\n")
                        .append("idle-timeout = \"5s\"\n");
            }
            services.append('\n');
            distribution.append(name).append(" = [\"local\"]\n");
        }
        Files.writeString(directory.resolve("services.toml"), services);
        Files.writeString(directory.resolve("distribution.toml"), distribution);
        Files.writeString(directory.resolve("empty-distribution.toml"), "");
        Files.writeString(directory.resolve("infrastructure.toml"), infrastructure(systemd, stateDirectory));
        return directory;
    }

    static String infrastructure(SystemdUserManager systemd, Path stateDirectory) {
        return "[targets.local]\n"
                + "host = \"localhost\"\n"
                + "state-dir = \"" + stateDirectory + "\"\n"
                + "[targets.local.containers.systemd-unit]\n"
                + "bus = \"" + systemd.busAddress() + "\"\n"
                + "journal-directory = \"" + systemd.journalDirectory() + "\"\n";
    }
}
