package dev.beckon.planner.target.ssh;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.PackageDigest;
import dev.beckon.planner.target.ShellWords;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * beckon's own runtime on a remote target: this process's classpath (jars and class directories), copied
 * into the target's store as {@code HASH-beckon-runtime}, so that it is copied once per build and every
 * generation's deployments on that target use the agent of the beckon that made them.
 */
final class AgentRuntime {
    /** The classpath's entries and their content hash, worked out once per process. */
    private static volatile Local local;

    private record Local(List<Path> entries, String hash) {
        /** Entries as they are named inside the runtime directory: a number keeps their order. */
        String name(int index) {
            return String.format("%02d-%s", index, entries.get(index).getFileName());
        }
    }

    private AgentRuntime() {}

    private static Local local() throws IOException {
        Local known = local;
        if (known == null) {
            List<Path> entries = new ArrayList<>();
            StringBuilder digests = new StringBuilder();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path path = Path.of(entry).toAbsolutePath();
                if (Files.exists(path)) {
                    entries.add(path);
                    digests.append(path.getFileName()).append(' ').append(PackageDigest.of(path)).append('\n');
                }
            }
            known = new Local(List.copyOf(entries), PackageDigest.ofText(digests.toString()));
            local = known;
        }
        return known;
    }

    /**
     * Copies the runtime to the target unless it is there.
     *
     * @return the classpath that runs the agent there
     */
    static String install(SshConnection ssh, String target, Path stateDirectory) throws ActivationException {
        Local runtime;
        try {
            runtime = local();
        } catch (IOException e) {
            throw new ActivationException(target, "cannot read beckon's own classpath to copy it: " + e.getMessage(), e);
        }
        Path destination = stateDirectory.resolve("store").resolve(runtime.hash() + "-beckon-runtime");
        List<String> classpath = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < runtime.entries().size(); i++) {
            names.add(runtime.name(i));
            classpath.add(destination.resolve(runtime.name(i)).toString());
        }
        String present = ssh.run("looking for beckon's runtime", "if [ -d " + ShellWords.quote(destination.toString())
                + " ]; then echo present; fi", null).strip();
        if (!present.equals("present")) {
            Path staging = null;
            try {
                staging = Files.createTempDirectory("beckon-runtime-");
                for (int i = 0; i < runtime.entries().size(); i++) {
                    Files.createSymbolicLink(staging.resolve(runtime.name(i)), runtime.entries().get(i));
                }
                copy(ssh, target, "copying beckon's runtime", staging, names, destination, true);
            } catch (IOException e) {
                throw new ActivationException(target, "cannot stage beckon's runtime for copying: " + e.getMessage(), e);
            } finally {
                deleteStaging(staging);
            }
        }
        return String.join(":", classpath);
    }

    private static void deleteStaging(Path staging) {
        if (staging == null) {
            return;
        }
        try (var links = Files.list(staging)) {
            for (Path link : links.toList()) {
                Files.deleteIfExists(link);
            }
            Files.deleteIfExists(staging);
        } catch (IOException e) {
            // Only symbolic links in a temporary directory.
        }
    }

    /**
     * Copies {@code names} under {@code from} to {@code destination} on the target, gzip-compressed through tar
     * over the connection: unpacked under a temporary name, then renamed, so that the store never holds a part.
     * One name becomes {@code destination} itself; several become the entries of a directory {@code destination}.
     *
     * @param dereference whether symbolic links are followed (the runtime's staging directory is made of them)
     */
    static void copy(SshConnection ssh, String target, String what, Path from, List<String> names, Path destination,
            boolean dereference) throws ActivationException {
        List<String> tar = new ArrayList<>(List.of("tar", "-C", from.toString(), dereference ? "-czhf" : "-czf", "-", "--"));
        tar.addAll(names);
        String quotedDestination = ShellWords.quote(destination.toString());
        String unpackedRoot = names.size() == 1 ? "\"$partial\"/" + ShellWords.quote(names.get(0)) : "\"$partial\"";
        String script = String.join("\n",
                "set -e",
                "destination=" + quotedDestination,
                "[ -e \"$destination\" ] && exit 0",
                "mkdir -p \"$(dirname \"$destination\")\"",
                "partial=\"$(dirname \"$destination\")/.$(basename \"$destination\").partial-$$\"",
                "rm -rf \"$partial\"",
                "mkdir -p \"$partial\"",
                "tar -xzf - -C \"$partial\"",
                // Another deployer may have put it there meanwhile: then its copy stands and ours goes.
                "mv -T " + unpackedRoot + " \"$destination\" 2>/dev/null || true",
                "rm -rf \"$partial\"",
                "[ -e \"$destination\" ]");
        try {
            Process packer = new ProcessBuilder(tar).start();
            ssh.run(what, script, packer);
        } catch (IOException e) {
            throw new ActivationException(target, what + ": cannot run tar here: " + e.getMessage(), e);
        }
    }
}
