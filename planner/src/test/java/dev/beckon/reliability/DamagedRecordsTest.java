package dev.beckon.reliability;

import static dev.beckon.planner.cli.BeckonCommandTest.beckon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.planner.cli.BeckonCommandTest.Run;
import dev.beckon.planner.generations.Generations;
import dev.beckon.planner.manifest.Manifest;
import dev.beckon.planner.manifest.ManifestJson;
import dev.beckon.planner.state.IntentJournal;
import dev.beckon.sandbox.SystemdSandboxExtension;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged records: a current generation whose tree is gone, journals holding null or wrongly typed JSON, garbage
 * in locks, manifests and the profile repository. Every read-only command and deploy answers each with exit 0 or
 * a one-line error naming the file, never a stack trace or an internal error; a damaged current generation still
 * lets a rollback and a new deployment make another one current.
 */
@ExtendWith(SystemdSandboxExtension.class)
class DamagedRecordsTest {
    @TempDir
    Path dir;

    private Path model;
    private Path state;
    private Path home;

    @BeforeEach
    void setUp(SystemdUserManager systemd) throws Exception {
        model = Files.createDirectories(dir.resolve("model"));
        state = dir.resolve("state");
        home = dir.resolve("home");
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(state));
        Files.writeString(model.resolve("distribution.toml"), "svc = [\"local\"]\n");
        Files.writeString(dir.resolve("data.txt"), "data\n");
        services("first");
    }

    private void services(String description) throws IOException {
        Files.writeString(model.resolve("services.toml"), """
                [services.svc]
                type = "systemd-unit"
                description = "%s"
                package = "%s"
                exec = ["/bin/sleep", "3600"]
                """.formatted(description, dir.resolve("data.txt")));
    }

    private Run run(Path home, String profile, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--home", home.toString(), "-p", profile));
        return beckon(all.toArray(String[]::new));
    }

    /** Two generations of profile {@code profile}, the second current. */
    private void deployTwice(String profile) throws IOException {
        services("first " + profile);
        assertEquals(0, run(home, profile, "deploy", model.toString()).exitCode());
        services("second " + profile);
        Run second = run(home, profile, "deploy", model.toString());
        assertEquals(0, second.exitCode(), second.out() + second.err());
    }

    private static ObjectId currentTree(Path repository) throws IOException {
        try (Repository git = new FileRepositoryBuilder().setGitDir(repository.toFile()).setMustExist(true).build();
                RevWalk walk = new RevWalk(git)) {
            RevCommit commit = walk.parseCommit(git.resolve("refs/beckon/current"));
            return commit.getTree().getId();
        }
    }

    private static Path looseObject(Path repository, ObjectId id) {
        return repository.resolve("objects").resolve(id.name().substring(0, 2)).resolve(id.name().substring(2));
    }

    @Test
    void aCurrentGenerationWithoutItsTreeIsNamedAndRollbackAndDeployStillWork() throws Exception {
        deployTwice("lost");
        Path repository = home.resolve("profiles/lost");
        Path tree = looseObject(repository, currentTree(repository));
        assertTrue(Files.exists(tree), tree.toString());
        Files.delete(tree);

        Run status = run(home, "lost", "status");
        assertEquals(1, status.exitCode(), status.out() + status.err());
        assertEquals(1, status.err().lines().count(), status.err());
        assertTrue(status.err().contains(repository.toString()) && status.err().contains("`beckon rollback --to N`"), status.err());

        Run rollback = run(home, "lost", "rollback", "--to", "1");
        assertEquals(0, rollback.exitCode(), rollback.out() + rollback.err());
        assertTrue(rollback.out().contains("planning from generation 1 instead"), rollback.out());
        assertEquals(0, run(home, "lost", "status").exitCode(), "generation 1 is current and runs");

        // Damaged again, and this time a deployment of the model (without any change) makes a new one current.
        Run back = run(home, "lost", "deploy", model.toString());
        assertEquals(0, back.exitCode(), back.out() + back.err());
        Files.delete(looseObject(repository, currentTree(repository)));
        Run deploy = run(home, "lost", "deploy", model.toString());
        assertEquals(0, deploy.exitCode(), deploy.out() + deploy.err());
        assertTrue(deploy.out().contains("Deployed generation 4"), deploy.out());
        Run after = run(home, "lost", "status");
        assertEquals(0, after.exitCode(), after.out() + after.err());
        assertTrue(after.out().contains("generation 4"), after.out());
    }

    @Test
    void aFullDiskUnderTheProfilesIsOneLineForEveryCommand() throws Exception {
        // The profiles live on a tmpfs of their own, in a mount namespace of beckon's own, filled up after the first deployment.
        Path full = Files.createDirectories(dir.resolve("full-home"));
        Path results = Files.createDirectories(dir.resolve("full-results"));
        services("before the disk filled up");
        Path changed = Files.createDirectories(dir.resolve("changed-model"));
        for (String file : List.of("infrastructure.toml", "distribution.toml")) {
            Files.copy(model.resolve(file), changed.resolve(file));
        }
        Files.writeString(changed.resolve("services.toml"), Files.readString(model.resolve("services.toml"))
                .replace("before the disk filled up", "after"));
        List<String> commands = List.of("deploy " + model, "deploy " + changed, "status", "generations", "plan " + changed,
                "rollback", "gc --dry-run", "verify");
        StringBuilder script = new StringBuilder("set -u\nmount -t tmpfs -o size=2m tmpfs \"$1\" || exit 99\n");
        String beckon = "\"" + Path.of(System.getProperty("java.home"), "bin", "java") + "\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp \""
                + System.getProperty("java.class.path") + "\" " + dev.beckon.planner.cli.BeckonCommand.class.getName();
        for (int i = 0; i < commands.size(); i++) {
            if (i == 1) {
                script.append("dd if=/dev/zero of=\"$1/filler\" bs=4k 2>/dev/null\n");
            }
            script.append(beckon).append(' ').append(commands.get(i)).append(" --home \"$1\" -p full > \"$2/out").append(i)
                    .append("\" 2> \"$2/err").append(i).append("\"; echo $? > \"$2/rc").append(i).append("\"\n");
        }
        Process process = new ProcessBuilder("unshare", "-m", "sh", "-c", script.toString(), "full-disk", full.toString(),
                results.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        assertEquals("0", Files.readString(results.resolve("rc0")).strip(), Files.readString(results.resolve("err0")));
        for (int i = 1; i < commands.size(); i++) {
            String rc = Files.readString(results.resolve("rc" + i)).strip();
            String err = Files.readString(results.resolve("err" + i));
            String what = commands.get(i) + " on a full disk: exit " + rc + "\n" + Files.readString(results.resolve("out" + i)) + err;
            assertTrue(rc.equals("0") || rc.equals("1"), what);
            assertFalse(err.contains("\tat ") || err.contains("internal error") || err.contains("Caused by: "), what);
            if (rc.equals("1") && !commands.get(i).equals("status") && !commands.get(i).equals("verify")) {
                assertEquals(1, err.lines().filter(l -> l.startsWith("beckon: error: ")).count(), what);
            }
        }
        String deployOnFullDisk = Files.readString(results.resolve("err1"));
        assertTrue(deployOnFullDisk.contains("No space left on device") && deployOnFullDisk.contains(full.toString()), deployOnFullDisk);
    }

    /** One way to damage a copy of the records: changes files under the copy's home and the target's state directory. */
    private record Damage(String name, DamageAction action) {}

    @FunctionalInterface
    private interface DamageAction {
        void apply(Path home, Path repository) throws Exception;
    }

    private static DamageAction write(String relative, String content) {
        return (home, repository) -> {
            Path file = repository.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.write(file, content.getBytes(StandardCharsets.ISO_8859_1));
        };
    }

    /** A journal of a real interrupted rollback from generation 2 to 1, with {@code edit} applied to its JSON. */
    private DamageAction journal(Function<String, String> edit) {
        return (home, repository) -> {
            Manifest first;
            Manifest second;
            try (Generations generations = Generations.open(repository, "fuzz")) {
                first = ManifestJson.read(generations.manifest(1), "generation 1");
                second = ManifestJson.read(generations.manifest(2), "generation 2");
            }
            IntentJournal.Intent intent = new IntentJournal.Intent(IntentJournal.FORMAT_VERSION, IntentJournal.Kind.ROLLBACK, "fuzz",
                    2, 1, second, first, Map.of(), "fuzzer", "", List.of("activate svc@local"), 1, "2026-12-01T00:00:00Z");
            Files.writeString(repository.resolve(IntentJournal.INTENT_FILE), edit.apply(ManifestJson.mapper().writeValueAsString(intent)));
        };
    }

    private static DamageAction manifest(String json) {
        return (home, repository) -> {
            try (Generations generations = Generations.open(repository, "fuzz")) {
                generations.record(json.getBytes(StandardCharsets.UTF_8), Map.of(), "fuzzer", "damaged");
            }
        };
    }

    private List<Damage> damages(String pristineManifest) {
        List<Damage> damages = new ArrayList<>();
        // Journals: not JSON, JSON of the wrong shape, a real one cut short or with fields of the wrong type.
        for (String text : List.of("", "null", "[]", "{}", "42", "\"text\"", "{\"format\": \"one\"}", "{\"format\": 1}",
                "{\"format\": 1, \"kind\": \"SIDEWAYS\"}", "\u0000\u00ff\u00fe garbage", "{\"format\": 2}")) {
            damages.add(new Damage("journal " + text, write(IntentJournal.INTENT_FILE, text)));
        }
        damages.add(new Damage("journal whole", journal(json -> json)));
        for (double cut : new double[] {0.1, 0.5, 0.9}) {
            damages.add(new Damage("journal cut at " + cut, journal(json -> json.substring(0, (int) (json.length() * cut)))));
        }
        damages.add(new Damage("journal steps null", journal(json -> json.replaceFirst("\"steps\" : \\[[^]]*]", "\"steps\" : null"))));
        damages.add(new Damage("journal steps object", journal(json -> json.replaceFirst("\"steps\" : \\[", "\"steps\" : {\"a\": ["))));
        damages.add(new Damage("journal from null", journal(json -> json.replaceFirst("\"from\" : \\{", "\"from\" : null, \"x\" : {"))));
        damages.add(new Damage("journal pid text", journal(json -> json.replaceFirst("\"pid\" : 1", "\"pid\" : \"one\""))));
        damages.add(new Damage("journal entries null", journal(json -> json.replaceFirst("\"entries\" : \\[", "\"entries\" : [ null, "))));
        damages.add(new Damage("journal done garbage", (home, repository) -> {
            journal(json -> json).apply(home, repository);
            Files.write(repository.resolve("intent.done"), new byte[] {'9', '9', ' ', 0, (byte) 0xff, '\n', 'x'});
        }));
        // Locks: the profile's and the target's.
        for (String text : List.of("", "garbage", "user= host= pid=abc", "user=a host=b pid=1 profile=p since=never",
                "x".repeat(100_000), "\u0000\u00ff")) {
            damages.add(new Damage("profile lock " + text.substring(0, Math.min(20, text.length())), write("deploy.lock", text)));
            damages.add(new Damage("target lock " + text.substring(0, Math.min(20, text.length())), (home, repository) ->
                    Files.write(state.resolve("lock"), text.getBytes(StandardCharsets.ISO_8859_1))));
        }
        // Manifests of a new current generation.
        for (String json : List.of("null", "{}", "[]", "{\"formatVersion\": 1}", "{\"formatVersion\": 2}",
                "{\"formatVersion\": 1, \"profile\": \"fuzz\", \"targets\": {}, \"entries\": [null]}",
                "{\"formatVersion\": 1, \"profile\": null, \"targets\": {}, \"entries\": []}",
                pristineManifest.substring(0, pristineManifest.length() / 2),
                pristineManifest.replaceFirst("\"exec\" : \\[", "\"exec\" : [ null, "),
                pristineManifest.replaceFirst("\"service\" : \"svc\"", "\"service\" : 7"),
                pristineManifest.replaceFirst("\"stateDirectory\" : \"[^\"]*\"", "\"stateDirectory\" : \"relative\""),
                pristineManifest.replaceFirst("\"packagePath\" : \"[^\"]*\"", "\"packagePath\" : \"/etc/passwd\""))) {
            damages.add(new Damage("manifest " + json.substring(0, Math.min(30, json.length())), manifest(json)));
        }
        // The profile repository itself.
        damages.add(new Damage("current tree gone", (home, repository) -> Files.delete(looseObject(repository, currentTree(repository)))));
        damages.add(new Damage("current ref garbage", write("refs/beckon/current", "not a commit\n")));
        damages.add(new Damage("current ref to nothing", write("refs/beckon/current", "0123456789012345678901234567890123456789\n")));
        damages.add(new Damage("generation tag garbage", write("refs/tags/generation-2", "zz\n")));
        damages.add(new Damage("HEAD empty", write("HEAD", "")));
        damages.add(new Damage("config garbage", write("config", "[core\n\u0000")));
        damages.add(new Damage("config of another profile", write("config", "[beckon]\n\tprofile = other\n")));
        damages.add(new Damage("objects gone", (home, repository) -> deleteTree(repository.resolve("objects"))));
        damages.add(new Damage("repository a file", (home, repository) -> {
            deleteTree(repository);
            Files.writeString(repository, "a file");
        }));
        return damages;
    }

    @Test
    void everyReadOnlyCommandAndDeployAnswerEveryDamageInOneLineWithoutAStackTrace() throws Exception {
        deployTwice("fuzz");
        Path pristine = home.resolve("profiles/fuzz");
        String pristineManifest;
        try (Generations generations = Generations.open(pristine, "fuzz")) {
            pristineManifest = new String(generations.manifest(2), StandardCharsets.UTF_8);
        }
        List<List<String>> commands = List.of(List.of("status"), List.of("generations"), List.of("plan", model.toString()),
                List.of("verify"), List.of("gc", "--dry-run"), List.of("deploy", model.toString()));
        Map<String, Integer> outcomes = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        int tried = 0;
        int caseNumber = 0;
        for (Damage damage : damages(pristineManifest)) {
            for (List<String> command : commands) {
                Path copy = dir.resolve("fuzz-" + ++caseNumber);
                Path repository = copy.resolve("profiles/fuzz");
                copyTree(pristine, repository);
                Files.deleteIfExists(state.resolve("lock"));
                damage.action().apply(copy, repository);
                List<String> args = new ArrayList<>(command);
                Run run = run(copy, "fuzz", args.toArray(String[]::new));
                tried++;
                String what = damage.name() + " / " + String.join(" ", command) + ":\n" + run.out() + run.err();
                List<String> errors = run.err().lines().filter(l -> l.startsWith("beckon: error: ")).toList();
                // status and verify report what they found on their output, with exit 1 and no error.
                boolean reported = errors.isEmpty() && (command.get(0).equals("status") || command.get(0).equals("verify"));
                String wrong = run.exitCode() != 0 && run.exitCode() != 1 ? "exit " + run.exitCode()
                        : run.err().contains("\tat ") || run.out().contains("\tat ") || run.err().contains("Caused by: ")
                                || run.err().contains("Exception in thread") ? "a stack trace"
                        : run.err().contains("internal error") ? "an internal error"
                        : run.exitCode() == 1 && !reported && errors.size() != 1 ? errors.size() + " error lines"
                        : run.exitCode() == 1 && !reported && !errors.get(0).contains(copy.toString())
                                && !errors.get(0).contains(state.toString()) ? "an error naming no file"
                        : null;
                if (wrong != null) {
                    failures.add(wrong + " for " + what);
                }
                outcomes.merge("exit " + run.exitCode(), 1, Integer::sum);
                deleteTree(copy);
            }
        }
        Files.deleteIfExists(state.resolve("lock"));
        System.out.println("DamagedRecordsTest: tried " + tried + " damaged records x commands: " + outcomes);
        assertEquals(List.of(), failures, failures.size() + " of " + tried + " cases went wrong");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(directory).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (!file.getFileName().toString().endsWith(".lock") && !file.getFileName().toString().endsWith(".guard")) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        dev.beckon.planner.store.Store.deleteTree(root);
    }
}
