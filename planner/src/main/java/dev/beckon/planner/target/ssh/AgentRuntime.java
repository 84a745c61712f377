package dev.beckon.planner.target.ssh;

import dev.beckon.activation.ActivationException;
import dev.beckon.planner.manifest.PackageDigest;
import dev.beckon.planner.store.Store;
import dev.beckon.planner.target.ShellWords;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * beckon's own runtime on a remote target: every jar and class directory the running beckon loads its classes
 * from, each copied into the target's store once, content-addressed ({@code HASH-NAME}, as packages are), so that
 * a new build copies only what changed and every deployment on that target runs the agent of the beckon that
 * made it.
 *
 * <p>What the classes come from is this JVM's class path, with each jar's manifest {@code Class-Path} followed
 * (as the JVM follows it): {@code java -jar beckon.jar} names one jar whose manifest names {@code lib/*.jar},
 * a Maven test run names many entries, and any other packaging names whatever it installs. The location that
 * {@link TargetAgent} itself was loaded from is always part of it.
 */
final class AgentRuntime {
    /** The runtime's entries, in class path order, by the name each has in a store; worked out once per process. */
    private static volatile Map<String, Path> local;

    private AgentRuntime() {}

    private static Map<String, Path> local() throws IOException {
        Map<String, Path> known = local;
        return known != null ? known : workOutLocal();
    }

    /**
     * Hashes every entry (some 8 MB): once, while the other targets' connections, opened side by side, wait for it
     * rather than each hashing the same files on the same cores.
     */
    private static synchronized Map<String, Path> workOutLocal() throws IOException {
        Map<String, Path> known = local;
        if (known == null) {
            List<Path> entries = new ArrayList<>();
            agentLocation().ifPresent(entries::add);
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    follow(Path.of(entry).toAbsolutePath().normalize(), entries);
                }
            }
            Map<String, Path> named = new LinkedHashMap<>();
            for (Path entry : entries) {
                named.putIfAbsent(Store.packagePath(Path.of(""), PackageDigest.of(entry), entry).getFileName().toString(), entry);
            }
            known = Collections.unmodifiableMap(named);
            local = known;
        }
        return known;
    }

    /** Where the agent's class was loaded from, when that is a file or directory. */
    private static Optional<Path> agentLocation() {
        try {
            var source = TargetAgent.class.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null && "file".equals(source.getLocation().getProtocol())) {
                return Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath().normalize());
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // Then the class path below says it.
        }
        return Optional.empty();
    }

    /** Adds {@code entry}, when it exists and is not there yet, and what its manifest's Class-Path names, in order. */
    private static void follow(Path entry, List<Path> entries) throws IOException {
        if (!Files.exists(entry)) {
            return;
        }
        if (!entries.contains(entry)) {
            entries.add(entry);
        }
        if (!Files.isRegularFile(entry)) {
            return;
        }
        Manifest manifest;
        try (JarFile jar = new JarFile(entry.toFile())) {
            manifest = jar.getManifest();
        } catch (IOException e) {
            return; // Not a jar: the JVM skips it too.
        }
        String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
        if (classPath == null) {
            return;
        }
        for (String word : classPath.strip().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            try {
                URI named = entry.toUri().resolve(word);
                if ("file".equals(named.getScheme())) {
                    Path path = Path.of(named).normalize();
                    if (!entries.contains(path)) {
                        follow(path, entries);
                    }
                }
            } catch (IllegalArgumentException e) {
                // An entry the JVM would not load either.
            }
        }
    }

    /**
     * Copies what of the runtime is not in the target's store there.
     *
     * @return the class path that runs the agent there
     */
    static String install(SshConnection ssh, String target, Path stateDirectory) throws ActivationException {
        Map<String, Path> runtime;
        try {
            runtime = local();
        } catch (IOException e) {
            throw new ActivationException(target, "cannot read beckon's own class path to copy it: " + e.getMessage(), e);
        }
        Path store = stateDirectory.resolve("store");
        StringBuilder lookup = new StringBuilder(trustedPathCheck(store))
                .append("cd ").append(ShellWords.quote(store.toString())).append(" 2>/dev/null || exit 0\n");
        for (String name : runtime.keySet()) {
            lookup.append("[ -e ").append(ShellWords.quote(name)).append(" ] && echo ").append(ShellWords.quote(name)).append('\n');
        }
        lookup.append("exit 0");
        List<String> present = ssh.run("looking for beckon's runtime", lookup.toString(), null).lines().toList();
        List<String> missing = runtime.keySet().stream().filter(name -> !present.contains(name)).toList();
        if (!missing.isEmpty()) {
            Path staging = null;
            try {
                staging = Files.createTempDirectory("beckon-runtime-");
                for (String name : missing) {
                    Files.createSymbolicLink(staging.resolve(name), runtime.get(name));
                }
                copyEntries(ssh, target, "copying beckon's runtime", staging, missing, store);
            } catch (IOException e) {
                throw new ActivationException(target, "cannot stage beckon's runtime for copying: " + e.getMessage(), e);
            } finally {
                deleteStaging(staging);
            }
        }
        return String.join(":", runtime.keySet().stream().map(name -> store.resolve(name).toString()).toList());
    }

    /**
     * A shell check, run on the target before beckon writes its runtime there, of the rule the agent then applies to
     * everything it writes (activation's SafeDirectories): every directory that exists on the way to {@code store},
     * and what a symbolic link on the way names, is owned by root or the connecting user and cannot be written by
     * group or others, but for a sticky ancestor such as {@code /tmp}; a link on the way is owned by root or the user.
     * Otherwise another user of the target could swap beckon's jars before the agent runs them. It exits 3 with one
     * line on standard error saying which directory and what to do.
     */
    static String trustedPathCheck(Path store) {
        return String.join("\n",
                "beckon_distrust() { printf '%s\\n' \"$1 on the way to $2, who could make beckon run what they choose; $3\" >&2; exit 3; }",
                "beckon_trust() {",
                "  set -- \"$1\" \"$2\" $(stat -c '%u %a' -- \"$1\") \"$3\" \"$4\"",
                "  [ \"$3\" = 0 ] || [ \"$3\" = \"$(id -u)\" ] || beckon_distrust \"$1$6 is owned by user $3, not by $beckon_trusted\" \"$2\" \\",
                "    \"chown $(id -un) $1, or use another state-dir\"",
                "  [ $((0$4 & 022)) = 0 ] || { [ $((0$4 & 01000)) != 0 ] && [ \"$5\" = ancestor ]; } || beckon_distrust \\",
                "    \"$1$6 can be written by its group or others (mode $4)\" \"$2\" \"chmod go-w $1, or use another state-dir\"",
                "}",
                "beckon_trusted=$(id -un); [ \"$(id -u)\" = 0 ] || beckon_trusted=\"$beckon_trusted or root\"",
                "beckon_wanted=" + ShellWords.quote(store.toString()),
                "beckon_path=''",
                "beckon_rest=${beckon_wanted#/}",
                "while [ -n \"$beckon_rest\" ]; do",
                "  case $beckon_rest in */*) beckon_part=${beckon_rest%%/*}; beckon_rest=${beckon_rest#*/};; *) beckon_part=$beckon_rest; beckon_rest='';; esac",
                "  [ -n \"$beckon_part\" ] || continue",
                "  beckon_path=\"$beckon_path/$beckon_part\"",
                "  if [ -L \"$beckon_path\" ]; then",
                "    beckon_owner=$(stat -c %u -- \"$beckon_path\")",
                "    [ \"$beckon_owner\" = 0 ] || [ \"$beckon_owner\" = \"$(id -u)\" ] || beckon_distrust \\",
                "      \"$beckon_path is a symbolic link owned by user $beckon_owner\" \"$beckon_wanted\" \"replace it with the directory it names\"",
                "    [ -e \"$beckon_path\" ] || break",
                "    beckon_real=$(readlink -f -- \"$beckon_path\")",
                "    beckon_trust \"$beckon_real\" \"$beckon_wanted\" ancestor \" (named by the link $beckon_path)\"",
                "  elif [ -e \"$beckon_path\" ]; then",
                "    case /$beckon_rest in /) beckon_role=own;; *) beckon_role=ancestor;; esac",
                "    [ \"$beckon_path\" = " + ShellWords.quote(store.getParent().toString()) + " ] && beckon_role=own",
                "    beckon_trust \"$beckon_path\" \"$beckon_wanted\" \"$beckon_role\" ''",
                "  else",
                "    break",
                "  fi",
                "done",
                "");
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
     * Copies the symbolic links {@code names} under {@code staging}, followed, into {@code store} on the target,
     * each under its own name, gzip-compressed through tar over the connection: unpacked under a temporary name,
     * then each renamed, so that the store never holds a part. What another deployer put there meanwhile stands.
     */
    private static void copyEntries(SshConnection ssh, String target, String what, Path staging, List<String> names, Path store)
            throws ActivationException {
        List<String> tar = new ArrayList<>(List.of("tar", "-C", staging.toString(), "-czhf", "-", "--"));
        tar.addAll(names);
        String script = String.join("\n",
                "set -e",
                "umask 022",
                "store=" + ShellWords.quote(store.toString()),
                "mkdir -p \"$store\"",
                "partial=\"$store/.beckon-runtime.partial-$$\"",
                "rm -rf \"$partial\"",
                "mkdir -p \"$partial\"",
                "tar -xzf - -C \"$partial\"",
                "for entry in \"$partial\"/* \"$partial\"/.[!.]*; do",
                "  [ -e \"$entry\" ] || continue",
                "  name=\"$(basename \"$entry\")\"",
                "  [ -e \"$store/$name\" ] || mv -T \"$entry\" \"$store/$name\" 2>/dev/null || true",
                "done",
                "rm -rf \"$partial\"",
                names.stream().map(name -> "[ -e \"$store\"/" + ShellWords.quote(name) + " ]").reduce((a, b) -> a + " && " + b)
                        .orElse("true"));
        try {
            Process packer = new ProcessBuilder(tar).start();
            ssh.run(what, script, packer);
        } catch (IOException e) {
            throw new ActivationException(target, what + ": cannot run tar here: " + e.getMessage(), e);
        }
    }

    /**
     * Copies {@code names} under {@code from} to {@code destination} on the target, gzip-compressed through tar
     * over the connection: unpacked under a temporary name, then renamed, so that the store never holds a part.
     * One name becomes {@code destination} itself; several become the entries of a directory {@code destination}.
     * When {@code destination} is there already, what tar sends is read and dropped, so that tar here does not die
     * of a closed pipe.
     */
    static void copy(SshConnection ssh, String target, String what, Path from, List<String> names, Path destination)
            throws ActivationException {
        List<String> tar = new ArrayList<>(List.of("tar", "-C", from.toString(), "-czf", "-", "--"));
        tar.addAll(names);
        String quotedDestination = ShellWords.quote(destination.toString());
        String unpackedRoot = names.size() == 1 ? "\"$partial\"/" + ShellWords.quote(names.get(0)) : "\"$partial\"";
        String script = String.join("\n",
                "set -e",
                "destination=" + quotedDestination,
                "if [ -e \"$destination\" ]; then cat >/dev/null; exit 0; fi",
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
