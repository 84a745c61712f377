package dev.beckon.reliability;

import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a sandbox target holds, as text, so that two snapshots compare byte for byte: every beckon unit
 * file and link with its content and every beckon unit the manager has loaded with its states
 * ({@link SystemdUserManager#unitSnapshot}), whether something listens on each of the model's ports, and
 * the target's state directory (but its store, which only ever grows) with every file's content.
 */
final class TargetSnapshot {
    private TargetSnapshot() {}

    static String of(SystemdUserManager systemd, Path stateDirectory, Collection<Integer> ports) throws IOException {
        StringBuilder snapshot = new StringBuilder("# units\n").append(systemd.unitSnapshot("beckon-"));
        snapshot.append("# listeners\n");
        List<String> listening = listeningPorts();
        for (int port : ports.stream().sorted().toList()) {
            snapshot.append(port).append(listening.contains(String.format("%04X", port)) ? " listening\n" : " not listening\n");
        }
        snapshot.append("# state directory\n");
        if (Files.isDirectory(stateDirectory)) {
            Path store = stateDirectory.resolve("store");
            try (Stream<Path> files = Files.walk(stateDirectory)) {
                for (Path file : files.filter(f -> !f.startsWith(store)).sorted().toList()) {
                    snapshot.append(stateDirectory.relativize(file));
                    if (Files.isRegularFile(file)) {
                        snapshot.append('\n').append(content(Files.readAllBytes(file)));
                    }
                    snapshot.append('\n');
                }
            }
        }
        return snapshot.toString();
    }

    /** Text as it is; anything that is not UTF-8 in hex, so that no two different contents look alike. */
    private static String content(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return "(hex) " + HexFormat.of().formatHex(bytes);
        }
    }

    /** The ports (hex, as /proc shows them) of every listening TCP socket of this machine. */
    private static List<String> listeningPorts() throws IOException {
        return Stream.of("/proc/net/tcp", "/proc/net/tcp6")
                .flatMap(table -> {
                    try {
                        return Files.readAllLines(Path.of(table), StandardCharsets.US_ASCII).stream().skip(1);
                    } catch (IOException e) {
                        return Stream.empty();
                    }
                })
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f[3].equals("0A"))
                .map(f -> f[1].substring(f[1].lastIndexOf(':') + 1))
                .toList();
    }
}
