package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.StartLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** inetd.conf entries and beckon's block in the file: pure, no daemon. */
class InetdConfTest {
    private static final String USER = System.getProperty("user.name");
    private static final String FOREIGN = "# the administrator's\n\n*:7\tstream\ttcp\tnowait\troot\tinternal\n";

    @Test
    void rendersOneLineTaggedWithProfileAndServiceAndALauncher() {
        ServiceInstance hello = instance("127.0.0.1", 18080, Duration.ofSeconds(30), false);
        assertEquals(List.of("inetd.conf", "launcher"), InetdConf.render(hello).files().stream().map(f -> f.name()).toList());
        assertEquals("127.0.0.1:18080 stream tcp4 wait.256 " + USER + " /var/lib/beckon/store/0123-hello/launcher beckon-default-hello\n",
                InetdConf.render(hello).file("inetd.conf").orElseThrow().content());
        assertTrue(InetdConf.render(hello).file("launcher").orElseThrow().executable());
    }

    @Test
    void addressesBecomeInetdHostSpecifiersAndProtocols() {
        assertTrue(entry(instance(null, 18080, Duration.ZERO, false)).startsWith("*:18080 stream tcp46 "));
        assertTrue(entry(instance("::1", 18080, Duration.ZERO, false)).startsWith("[::1]:18080 stream tcp6 "));
        assertTrue(entry(instance("localhost", 18080, Duration.ZERO, false)).startsWith("localhost:18080 stream tcp "));
    }

    @Test
    void acceptIsNowaitAndWaitTakesTheStartLimitOverAMinute() {
        assertTrue(entry(instance("127.0.0.1", 1, Duration.ZERO, true)).contains(" nowait.3000 "));
        // Derived from the idle time: inetd's rate limit is what stops a server that fails at once.
        assertTrue(entry(instance("127.0.0.1", 1, Duration.ofMillis(100), false)).contains(" wait.1220 "));
        assertTrue(entry(instance("127.0.0.1", 1, Duration.ofMinutes(5), false)).contains(" wait.256 "));
        ServiceInstance limited = instance("127.0.0.1", 1, Duration.ofMinutes(5), false);
        ServiceInstance.Activation onDemand = limited.onDemand().orElseThrow();
        ServiceInstance set = new ServiceInstance(limited.profile(), limited.service(), limited.target(), limited.type(),
                limited.description(), limited.exec(), limited.environment(), limited.ports(),
                Optional.of(new ServiceInstance.Activation(onDemand.listen(), onDemand.idleTimeout(), false, onDemand.pass(),
                        new StartLimit(1000, Duration.ofSeconds(10)))), limited.packagePath(), limited.instanceDirectory(),
                limited.container(), limited.stateDirectory());
        assertTrue(entry(set).contains(" wait.6000 "), "the model's limit, over a minute: " + entry(set));
    }

    @Test
    void refusesWhatInetdCannotRun() {
        ServiceInstance alwaysOn = new ServiceInstance("default", "hello", "local", "inetd", "", List.of("/bin/true"), new TreeMap<>(),
                new TreeMap<>(), Optional.empty(), Optional.empty(), Path.of("/s/store/x-hello"), new TreeMap<>(), Path.of("/s"));
        assertEquals("hello@local: inetd starts a service only when a client connects, and this one is not on demand; add an"
                + " [services.hello.on-demand] table with its listen address, or use type systemd-unit for a service that always runs",
                assertThrows(IllegalArgumentException.class, () -> InetdConf.render(alwaysOn)).getMessage());

        ServiceInstance unix = withListen(List.of(new ListenAddress.Unix("/run/hello.sock")));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InetdConf.render(unix)).getMessage()
                .contains("inetd listens on TCP ports only, not on the Unix socket /run/hello.sock"));

        ServiceInstance two = withListen(List.of(new ListenAddress.Inet(Optional.empty(), 1), new ListenAddress.Inet(Optional.empty(), 2)));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InetdConf.render(two)).getMessage()
                .contains("inetd hands a server one socket, and this service listens on 2 addresses"));

        ServiceInstance spaced = at(Path.of("/var/lib/my state/store/0123-hello"));
        assertEquals("hello@local: the launcher's path \"/var/lib/my state/store/0123-hello/launcher\" holds white space, and inetd needs"
                + " it as one word of its configuration (it knows no quoting); choose a state directory whose path has no white space or # { }",
                assertThrows(IllegalArgumentException.class, () -> InetdConf.render(spaced)).getMessage());

        ServiceInstance newline = at(Path.of("/var/lib/x\n127.0.0.1:9 stream tcp nowait root /bin/sh sh/store/0123-hello"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InetdConf.render(newline)).getMessage().contains("holds white space"));

        ServiceInstance relative = new ServiceInstance("default", "hello", "local", "inetd", "", List.of("bin/server"), new TreeMap<>(),
                new TreeMap<>(), instance("127.0.0.1", 1, Duration.ZERO, false).onDemand(), Optional.empty(),
                Path.of("/s/store/x-hello"), new TreeMap<>(), Path.of("/s"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InetdConf.render(relative)).getMessage()
                .contains("its program \"bin/server\" is a relative path"));
    }

    @Test
    void aFileWithoutABlockGetsOneAtItsEnd() {
        String line = "127.0.0.1:1 stream tcp4 wait.256 root /s/l beckon-default-hello";
        assertEquals(FOREIGN + InetdConf.BEGIN + "\n" + line + "\n" + InetdConf.END + "\n", InetdConf.withEntry(FOREIGN, "beckon-default-hello", line));
        assertEquals("last line\n" + InetdConf.BEGIN + "\n" + line + "\n" + InetdConf.END + "\n",
                InetdConf.withEntry("last line", "beckon-default-hello", line), "an unended last line is ended, not joined");
        assertEquals(InetdConf.BEGIN + "\n" + line + "\n" + InetdConf.END + "\n", InetdConf.withEntry("", "beckon-default-hello", line));
    }

    @Test
    void entriesAreReplacedInPlaceAddedAtTheEndOfTheBlockAndOthersKeptByteForByte() {
        String handWritten = "  127.0.0.1:5\tstream tcp nowait root /bin/echo echo kept  ";
        String before = FOREIGN + InetdConf.BEGIN + "\n"
                + "127.0.0.1:1 stream tcp4 wait.256 root /s/old beckon-default-hello\n"
                + handWritten + "\n"
                + "127.0.0.1:2 stream tcp4 wait.256 root /s/b beckon-other-hello\n"
                + InetdConf.END + "\n# after the block\n";
        String replaced = InetdConf.withEntry(before, "beckon-default-hello", "127.0.0.1:1 stream tcp4 wait.256 root /s/new beckon-default-hello");
        assertEquals(before.replace("/s/old", "/s/new"), replaced);
        String added = InetdConf.withEntry(before, "beckon-default-web", "127.0.0.1:3 stream tcp4 wait.256 root /s/w beckon-default-web");
        assertEquals(before.replace(InetdConf.END, "127.0.0.1:3 stream tcp4 wait.256 root /s/w beckon-default-web\n" + InetdConf.END), added);
        assertEquals(List.of("127.0.0.1:1 stream tcp4 wait.256 root /s/old beckon-default-hello"), InetdConf.entries(before, "beckon-default-hello"));
        assertEquals(List.of(), InetdConf.entries(before, "beckon-default-web"));
    }

    @Test
    void removingTheLastEntryRemovesTheBlockAndGivesBackTheFile() {
        String line = "127.0.0.1:1 stream tcp4 wait.256 root /s/l beckon-default-hello";
        String with = InetdConf.withEntry(FOREIGN, "beckon-default-hello", line);
        assertEquals(FOREIGN, InetdConf.withoutEntry(with, "beckon-default-hello"));
        assertEquals(FOREIGN, InetdConf.withoutEntry(FOREIGN, "beckon-default-hello"), "no block: nothing to do");
        String two = InetdConf.withEntry(with, "beckon-other-hello", line.replace("beckon-default-hello", "beckon-other-hello"));
        assertEquals(InetdConf.withEntry(FOREIGN, "beckon-other-hello", line.replace("beckon-default-hello", "beckon-other-hello")),
                InetdConf.withoutEntry(two, "beckon-default-hello"));
    }

    @Test
    void aLineCopiedOutsideTheBlockIsNotBeckons() {
        String outside = "127.0.0.1:1 stream tcp4 wait.256 root /s/l beckon-default-hello\n";
        assertEquals(List.of(), InetdConf.entries(FOREIGN + outside, "beckon-default-hello"));
        assertEquals(FOREIGN + outside, InetdConf.withoutEntry(FOREIGN + outside, "beckon-default-hello"));
    }

    @Test
    void brokenMarkersAreAnErrorNotAGuess() {
        String noEnd = FOREIGN + InetdConf.BEGIN + "\nsomething\n";
        assertEquals("its markers are broken: beckon's block must be one line \"" + InetdConf.BEGIN + "\" (found at lines 4) followed by"
                + " one line \"" + InetdConf.END + "\" (found at lines none); beckon will not guess which lines are its own, so mend them by hand",
                assertThrows(IllegalStateException.class, () -> InetdConf.withEntry(noEnd, "beckon-default-hello", "x")).getMessage());
        String twice = InetdConf.BEGIN + "\n" + InetdConf.END + "\n" + InetdConf.BEGIN + "\n" + InetdConf.END + "\n";
        assertThrows(IllegalStateException.class, () -> InetdConf.withoutEntry(twice, "beckon-default-hello"));
    }

    private static String entry(ServiceInstance instance) {
        return InetdConf.render(instance).file("inetd.conf").orElseThrow().content();
    }

    static ServiceInstance instance(String host, int port, Duration idle, boolean accept) {
        return new ServiceInstance("default", "hello", "local", "inetd", "", List.of("/usr/bin/java", "-jar", "hello.jar"), new TreeMap<>(),
                new TreeMap<>(Map.of("main", port)),
                Optional.of(new ServiceInstance.Activation(List.of(new ListenAddress.Inet(Optional.ofNullable(host), port)), idle, accept)),
                Optional.empty(), Path.of("/var/lib/beckon/store/0123-hello"), new TreeMap<>(), Path.of("/var/lib/beckon"));
    }

    private static ServiceInstance withListen(List<ListenAddress> listen) {
        ServiceInstance base = instance("127.0.0.1", 1, Duration.ZERO, false);
        return new ServiceInstance(base.profile(), base.service(), base.target(), base.type(), base.description(), base.exec(),
                base.environment(), base.ports(), Optional.of(new ServiceInstance.Activation(listen, Duration.ZERO, false)),
                base.packagePath(), base.instanceDirectory(), base.container(), base.stateDirectory());
    }

    private static ServiceInstance at(Path instanceDirectory) {
        ServiceInstance base = instance("127.0.0.1", 1, Duration.ZERO, false);
        return new ServiceInstance(base.profile(), base.service(), base.target(), base.type(), base.description(), base.exec(),
                base.environment(), base.ports(), base.onDemand(), base.packagePath(), instanceDirectory, base.container(),
                base.stateDirectory());
    }
}
