package dev.beckon.planner.cli;

import dev.beckon.activation.Launcher;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.TargetHost;
import dev.beckon.planner.deploy.Deployments;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestEntry;
import dev.beckon.planner.plan.PlanningException;
import dev.beckon.planner.target.ShellWords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code beckon shell SERVICE}: a shell, or one command, where a deployed service runs and as it runs (Disnix's
 * {@code disnix-diagnose}): its environment, its service manager's working directory, its package on the PATH,
 * on its target (over SSH for a remote one), to look into a service that misbehaves.
 */
@Command(name = "shell", description = {"Run a shell (or COMMAND) with a deployed service's environment, working directory and"
        + " package, on its target (over SSH for a remote one), to diagnose it; exits with the shell's status.",
        "The shell also gets BECKON_SERVICE (SERVICE@TARGET) and BECKON_PACKAGE (the package in the target's store)."})
final class ShellCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "A service of the profile's current generation.")
    String service;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "What to run instead of a shell, after --.")
    List<String> command = List.of();

    @Option(names = "--target", paramLabel = "TARGET", description = "The target, where the service runs on several.")
    String target;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() {
        try {
            ManifestEntry entry;
            Manifest.TargetRecord where;
            String profileName;
            try (Deployments deployments = profile.open(spec.commandLine().getErr())) {
                profileName = deployments.profile();
                entry = find(deployments.recorded(), profileName);
                where = deployments.recorded().targets().get(entry.target());
            }
            ServiceInstance instance = entry.toInstance(profileName);
            TargetHost host = TargetHost.parse(where.host());
            String directory = workingDirectory(entry, host.isLocal());
            SortedMap<String, String> environment = environment(instance);
            if (requiresRoot(entry) && !"root".equals(System.getProperty("user.name"))) {
                throw new PlanningException(entry.id() + " runs as root (a system-scope unit): run beckon shell as root");
            }
            if (command.isEmpty()) {
                spec.commandLine().getErr().println("beckon shell: " + entry.id() + ", in " + directory + "; exit to leave.");
                spec.commandLine().getErr().flush();
            }
            return host.isLocal() ? runLocally(command, directory, environment) : runOverSsh(host, command, directory, environment);
        } catch (PlanningException e) {
            return ExitCodes.error(spec, e);
        } catch (IllegalArgumentException e) {
            return ExitCodes.error(spec, new PlanningException(e.getMessage()));
        }
    }

    private ManifestEntry find(Manifest current, String profileName) throws PlanningException {
        List<ManifestEntry> instances = current.entries().stream().filter(e -> e.service().equals(service)).toList();
        if (instances.isEmpty()) {
            List<String> deployed = current.entries().stream().map(ManifestEntry::service).distinct().sorted().toList();
            throw new PlanningException("service " + service + " is not deployed in profile " + profileName + " ("
                    + (deployed.isEmpty() ? "it runs nothing" : "deployed: " + String.join(", ", deployed)) + ")");
        }
        if (target != null) {
            return instances.stream().filter(e -> e.target().equals(target)).findFirst().orElseThrow(() -> new PlanningException(
                    "service " + service + " does not run on target " + target + "; it runs on " + targets(instances)));
        }
        if (instances.size() > 1) {
            throw new PlanningException("service " + service + " runs on targets " + targets(instances) + ": name one with --target");
        }
        return instances.get(0);
    }

    private static String targets(List<ManifestEntry> instances) {
        return String.join(", ", instances.stream().map(ManifestEntry::target).toList());
    }

    /**
     * Where the service's manager starts it, since beckon sets no working directory: systemd starts a user unit
     * in the user's home and a system unit in /; inetd and xinetd run their servers from /, having left their own
     * directory as daemons do; an external module's service: its instance directory, the one directory beckon
     * gives it. {@code null} home: the remote user's, which only the remote shell knows.
     */
    private static String workingDirectory(ManifestEntry entry, boolean local) {
        return switch (entry.type()) {
            case "systemd-unit" -> "system".equals(entry.container().get("scope")) ? "/"
                    : local ? System.getProperty("user.home") : "~";
            case "inetd", "xinetd" -> "/";
            default -> entry.instanceDirectory();
        };
    }

    private static boolean requiresRoot(ManifestEntry entry) {
        return entry.type().equals("systemd-unit") && "system".equals(entry.container().get("scope"));
    }

    /** The service's own variables, as its launcher and units set them, and the two that say what this shell is. */
    private static SortedMap<String, String> environment(ServiceInstance instance) {
        SortedMap<String, String> environment = new TreeMap<>(Launcher.environment(instance));
        environment.put("BECKON_SERVICE", instance.id());
        instance.packagePath().ifPresent(p -> environment.put("BECKON_PACKAGE", p.toString()));
        return environment;
    }

    /** The package's bin/, where it has one, before the PATH the shell would have. */
    private static Optional<String> packageBin(SortedMap<String, String> environment) {
        return Optional.ofNullable(environment.get("BECKON_PACKAGE")).map(p -> p + "/bin");
    }

    private int runLocally(List<String> program, String directory, SortedMap<String, String> service) throws PlanningException {
        String shell = Optional.ofNullable(System.getenv("SHELL")).filter(s -> !s.isEmpty()).orElse("/bin/sh");
        ProcessBuilder builder = new ProcessBuilder(program.isEmpty() ? List.of(shell) : program).directory(Path.of(directory).toFile())
                .inheritIO();
        Map<String, String> environment = builder.environment();
        // beckon's own variables (BECKON_HOME, ...) are not the service's, as its launcher unsets them too.
        environment.keySet().removeIf(name -> name.startsWith("BECKON_"));
        environment.putAll(service);
        packageBin(service).filter(bin -> Files.isDirectory(Path.of(bin)))
                .ifPresent(bin -> environment.put("PATH", bin + ":" + environment.getOrDefault("PATH", "/usr/bin:/bin")));
        try {
            return builder.start().waitFor();
        } catch (IOException e) {
            throw new PlanningException("cannot run " + builder.command().get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlanningException("interrupted", e);
        }
    }

    /** {@code ssh -t}, as {@code BECKON_SSH_COMMAND} says like every SSH connection of beckon, with a script that sets it all up there. */
    private int runOverSsh(TargetHost host, List<String> program, String directory, SortedMap<String, String> service)
            throws PlanningException {
        StringBuilder script = new StringBuilder();
        script.append(directory.equals("~") ? "cd" : "cd " + ShellWords.quote(directory)).append(" || exit 1\n");
        script.append("for variable in $(env | sed -n 's/^\\(BECKON_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$variable\"; done\n");
        service.forEach((name, value) -> script.append("export ").append(name).append('=').append(quoted(value)).append('\n'));
        packageBin(service).ifPresent(bin -> script.append("[ -d ").append(quoted(bin)).append(" ] && PATH=").append(quoted(bin))
                .append(":\"$PATH\"\n"));
        script.append("exec ").append(program.isEmpty() ? "\"${SHELL:-/bin/sh}\" -i"
                : String.join(" ", program.stream().map(ShellCommand::quoted).toList())).append('\n');
        List<String> ssh = new ArrayList<>(List.of(System.getenv().getOrDefault("BECKON_SSH_COMMAND", "ssh").strip().split("\\s+")));
        if (System.console() != null) {
            ssh.add("-t");
        }
        host.port().ifPresent(port -> ssh.addAll(List.of("-p", String.valueOf(port))));
        ssh.add(host.user().map(user -> user + "@").orElse("") + host.address());
        ssh.add("sh -c " + quoted(script.toString()));
        try {
            return new ProcessBuilder(ssh).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new PlanningException("cannot run " + ssh.get(0) + " to reach " + host + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlanningException("interrupted", e);
        }
    }

    /** Single-quoted for a POSIX shell, whatever the value holds. */
    private static String quoted(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
