package dev.beckon.planner.manifest;

import dev.beckon.models.Service;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An instance's application class-data archive (AppCDS): the classes its JVM loaded in a training start,
 * mapped at every later start instead of being read, parsed and verified again. It lives in the instance's
 * own directory in the target's store, so it belongs to that version of the instance (its package's hash
 * and its exec are part of the instance's hash) and is collected with it; the JDK build it was made with is
 * recorded beside it ({@code dev.beckon.planner.target.ClassDataTraining}), and a deployment remakes it when
 * that changes.
 *
 * <p>The archive is named on the command line with {@code -Xshare:auto} (the JVM's default, written out): a
 * JVM that finds it missing or not matching its own build, class path or jars starts without it.
 */
public final class ClassDataArchive {
    /** The archive's file name in the instance directory. */
    public static final String FILE_NAME = "class-data.jsa";
    /** The option that names an archive to use; the training start replaces it by {@link #DUMP_OPTION}. */
    public static final String USE_OPTION = "-XX:SharedArchiveFile=";
    /** The option that makes the JVM write an archive of the classes it loaded when it exits. */
    public static final String DUMP_OPTION = "-XX:ArchiveClassesAtExit=";
    /**
     * How an instance's status and its plan name a reason to remake its archive ("class-data archive: JDK changed"):
     * nothing anyone changed by hand, so not "drifted:".
     */
    public static final String REASON_PREFIX = "class-data archive: ";
    /** Sharing if the archive fits, else not: the default, written out so that no one's JDK_JAVA_OPTIONS says on. */
    public static final String SHARE_AUTO = "-Xshare:auto";
    /** The modules that write a command line for the service themselves (a unit's ExecStart=, a launcher). */
    private static final Set<String> MODULES_THAT_WRITE_THE_COMMAND = Set.of("systemd-unit", "inetd", "xinetd");

    private ClassDataArchive() {}

    /**
     * Whether an instance gets an archive: its module writes its command line, it is started by its sockets (a
     * training start needs its socket contract; a service that binds its own port cannot be started beside its
     * running version), and its exec runs {@code java} or the model says it runs a JVM; never when the model
     * says {@code class-data-archive = false}.
     */
    public static boolean wanted(Service service, List<String> exec, boolean onDemand) {
        if (!onDemand || exec.isEmpty() || !MODULES_THAT_WRITE_THE_COMMAND.contains(service.type())) {
            return false;
        }
        return service.classDataArchive().orElseGet(() -> runsJava(exec));
    }

    /** Whether the program is a {@code java} launcher, by its name. */
    static boolean runsJava(List<String> exec) {
        String program = exec.get(0);
        return program.substring(program.lastIndexOf('/') + 1).equals("java");
    }

    /** Where an instance's archive lives. */
    public static Path path(Path instanceDirectory) {
        return instanceDirectory.resolve(FILE_NAME);
    }

    /** The command line that uses {@code archive}: the JVM options right after the program, so they precede -jar or the class. */
    public static List<String> using(List<String> exec, Path archive) {
        List<String> with = new ArrayList<>(exec.size() + 2);
        with.add(exec.get(0));
        with.add(USE_OPTION + archive);
        with.add(SHARE_AUTO);
        with.addAll(exec.subList(1, exec.size()));
        return List.copyOf(with);
    }

    /**
     * The command line of the training start: {@code exec} as {@link #using} made it, with the archive to write
     * at exit in place of the one to use; empty when {@code exec} names no archive.
     */
    public static Optional<List<String>> training(List<String> exec, Path dumpTo) {
        if (exec.size() < 2 || !exec.get(1).startsWith(USE_OPTION)) {
            return Optional.empty();
        }
        List<String> training = new ArrayList<>(exec);
        training.set(1, DUMP_OPTION + dumpTo);
        return Optional.of(List.copyOf(training));
    }
}
