package dev.beckon.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
    @TempDir
    Path dir;

    private static final String TWO_TARGETS = """
            [targets.a]
            host = "localhost"
            hostname = "127.0.0.2"
            properties = { zone = "eu", weight = 3 }
            [targets.a.containers.systemd-unit]
            scope = "user"

            [targets.b]
            host = "deploy@b.example.org:2222"
            containers = { systemd-unit = { scope = "system" }, inetd = {} }
            """;

    private SystemModel load(String services, String infrastructure, String distribution) throws IOException, InvalidModelException {
        Files.writeString(dir.resolve("services.toml"), services);
        Files.writeString(dir.resolve("infrastructure.toml"), infrastructure);
        Files.writeString(dir.resolve("distribution.toml"), distribution);
        return ModelLoader.load(dir);
    }

    @Test
    void resolvesEachInstanceWithItsDependenciesEndpoints() throws Exception {
        SystemModel model = load("""
                [services.web]
                type = "systemd-unit"
                exec = ["/usr/bin/web", "--api", "http://{deps.api.host}:{deps.api.ports.http}/", "--zone", "{target.properties.zone}"]
                depends-on = ["api"]

                [services.api]
                type = "systemd-unit"
                exec = ["/usr/bin/api", "--db={deps.db.host}:{deps.db.ports.sql}", "--name={target.name}@{target.hostname}"]
                environment = { PORT = "{ports.http}", DEBUG = true }
                ports = { http = 8080 }
                depends-on = ["db"]

                [services.db]
                type = "systemd-unit"
                exec = ["/usr/bin/db", "{{literal braces}}"]
                ports = { sql = 5432 }
                """, TWO_TARGETS, """
                db = ["b"]
                api = ["a", "b"]
                web = ["a"]
                """);

        assertEquals(List.of("db", "api", "web"), model.activationOrder());
        assertEquals(List.of("api@a", "web@a", "db@b", "api@b"), model.instances().stream().map(InstanceSpec::id).toList());

        InstanceSpec apiOnA = model.instancesOn("a").get(0);
        assertEquals(List.of("/usr/bin/api", "--db=b.example.org:5432", "--name=a@127.0.0.2"), apiOnA.exec("/unused"));
        assertEquals(Map.of("DEBUG", "true", "PORT", "8080"), apiOnA.environment("/unused"));

        InstanceSpec webOnA = model.instancesOn("a").get(1);
        assertEquals("a", webOnA.dependencies().get("api").target(), "a dependency on the same target is preferred");
        assertEquals(List.of("/usr/bin/web", "--api", "http://127.0.0.2:8080/", "--zone", "eu"), webOnA.exec("/unused"));

        assertEquals(List.of("/usr/bin/db", "{literal braces}"), model.instancesOn("b").get(0).exec("/unused"));
        assertEquals("b.example.org", model.targets().get("b").hostname(), "hostname defaults to the SSH host");
        assertEquals("system", model.targets().get("b").containers().get("systemd-unit").setting("scope").orElseThrow());
        assertEquals("/etc/inetd.conf", model.targets().get("b").containers().get("inetd").setting("config").orElseThrow());
    }

    @Test
    void readsOnDemandSettings() throws Exception {
        SystemModel model = load("""
                [services.hello]
                type = "systemd-unit"
                exec = ["/bin/hello"]
                ports = { http = 8080 }
                [services.hello.on-demand]
                listen = ["{target.hostname}:{ports.http}", 9000, "[::1]:9001", "/run/hello.sock"]
                idle-timeout = "1m30s"
                accept = true
                """, TWO_TARGETS, "hello = [\"a\"]\n");
        InstanceSpec hello = model.instances().get(0);
        OnDemand onDemand = hello.service().onDemand().orElseThrow();
        assertEquals(Duration.ofSeconds(90), onDemand.idleTimeout());
        assertTrue(onDemand.accept());
        assertEquals(SocketPassing.LISTEN_FDS, onDemand.pass(), "the standard contract, unless the model says otherwise");
        assertEquals(List.of(
                new ListenAddress.Inet(Optional.of("127.0.0.2"), 8080),
                new ListenAddress.Inet(Optional.empty(), 9000),
                new ListenAddress.Inet(Optional.of("::1"), 9001),
                new ListenAddress.Unix("/run/hello.sock")), hello.listen());
    }

    @Test
    void readsHowTheServiceTakesItsSocket() throws Exception {
        SystemModel model = load("""
                [services.fds]
                type = "systemd-unit"
                exec = ["/bin/fds"]
                [services.fds.on-demand]
                listen = [9000, 9001]
                pass = "listen-fds"
                [services.stdin]
                type = "systemd-unit"
                exec = ["/bin/stdin"]
                [services.stdin.on-demand]
                listen = [9002]
                pass = "stdin"
                """, TWO_TARGETS, "fds = [\"a\"]\nstdin = [\"a\"]\n");
        assertEquals(SocketPassing.LISTEN_FDS, model.services().get("fds").onDemand().orElseThrow().pass());
        assertEquals(SocketPassing.STDIN, model.services().get("stdin").onDemand().orElseThrow().pass());
    }

    @Test
    void anAlwaysOnServiceCanHaveItsListenersHeldByTheManagerWithTheSameSocketsAsOnDemand() throws Exception {
        SystemModel model = load("""
                [services.held]
                type = "systemd-unit"
                exec = ["/bin/held"]
                ports = { http = 8080 }
                stop-timeout = "45s"
                [services.held.sockets]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                [services.lazy]
                type = "systemd-unit"
                exec = ["/bin/held"]
                ports = { http = 8081 }
                [services.lazy.on-demand]
                listen = ["127.0.0.1:{ports.http}"]
                pass = "stdin"
                [services.own]
                type = "systemd-unit"
                exec = ["/bin/own"]
                """, TWO_TARGETS, "held = [\"a\"]\nlazy = [\"a\"]\nown = [\"a\"]\n");
        Service held = model.services().get("held");
        OnDemand sockets = held.onDemand().orElseThrow();
        assertTrue(sockets.startsAtOnce(), "started at activation");
        assertTrue(!held.startsOnDemand());
        assertEquals(Duration.ZERO, sockets.idleTimeout(), "an always-on service never idles out");
        assertEquals(SocketPassing.STDIN, sockets.pass());
        assertEquals(List.of(new ListenAddress.Inet(Optional.of("127.0.0.1"), 8080)), model.instancesOn("a").get(0).listen());
        assertEquals(Duration.ofSeconds(45), held.stopTimeout());

        OnDemand onDemand = model.services().get("lazy").onDemand().orElseThrow();
        assertTrue(model.services().get("lazy").startsOnDemand());
        assertEquals(onDemand.startLimit(), sockets.startLimit(), "the same socket either way, so switching keeps it");
        assertEquals(Service.DEFAULT_STOP_TIMEOUT, model.services().get("lazy").stopTimeout());
        assertEquals(Optional.empty(), model.services().get("own").onDemand(), "no listeners: it binds its own");
    }

    @Test
    void autoPortsStayInRangeAvoidDeclaredPortsAndAreStable() throws Exception {
        String infrastructure = """
                [targets.a]
                host = "localhost"
                auto-ports = "20000-20004"
                containers = { systemd-unit = {} }
                """;
        String services = """
                [services.one]
                type = "systemd-unit"
                exec = ["/bin/one", "{ports.x}", "{ports.y}"]
                ports = { x = "auto", y = "auto", fixed = 20001 }
                [services.two]
                type = "systemd-unit"
                exec = ["/bin/two"]
                ports = { z = "auto" }
                [services.two.on-demand]
                listen = ["20002", "{ports.z}"]
                """;
        SystemModel first = load(services, infrastructure, "one = [\"a\"]\ntwo = [\"a\"]\n");
        Map<String, Integer> one = first.instancesOn("a").get(0).ports();
        Map<String, Integer> two = first.instancesOn("a").get(1).ports();
        assertEquals(20001, one.get("fixed"));
        for (int port : List.of(one.get("x"), one.get("y"), two.get("z"))) {
            assertTrue(port >= 20000 && port <= 20004 && port != 20001 && port != 20002, "port " + port);
        }
        assertEquals(3, java.util.Set.of(one.get("x"), one.get("y"), two.get("z")).size(), "auto ports must differ");
        SystemModel again = load(services, infrastructure, "one = [\"a\"]\ntwo = [\"a\"]\n");
        assertEquals(first.instances(), again.instances());
    }

    @Test
    void autoPortsOfOthersDoNotMoveWhenAServiceIsAdded() throws Exception {
        String infrastructure = "[targets.a]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n";
        String one = "[services.one]\ntype = \"systemd-unit\"\nexec = [\"/bin/one\"]\nports = { http = \"auto\" }\n";
        String two = "[services.two]\ntype = \"systemd-unit\"\nexec = [\"/bin/two\"]\nports = { http = \"auto\" }\n";
        int before = load(one, infrastructure, "one = [\"a\"]\n").instances().get(0).ports().get("http");
        SystemModel after = load(one + two, infrastructure, "one = [\"a\"]\ntwo = [\"a\"]\n");
        assertEquals(before, after.instancesOn("a").get(0).ports().get("http"));
        assertNotEquals(before, after.instancesOn("a").get(1).ports().get("http"));
    }

    @Test
    void autoPortsKeepTheNumbersOfTheLastDeploymentWhereTheyAreStillFree() throws Exception {
        String infrastructure = "[targets.a]\nhost = \"localhost\"\ncontainers = { systemd-unit = {} }\n";
        String one = "[services.one]\ntype = \"systemd-unit\"\nexec = [\"/bin/one\"]\nports = { http = \"auto\", admin = \"auto\" }\n";
        load(one, infrastructure, "one = [\"a\"]\n");
        PortHints lastDeployment = new PortHints(Map.of("a", Map.of("one", Map.of("http", 21000, "admin", 99))));
        SystemModel model = ModelLoader.load(ModelFiles.in(dir), lastDeployment);
        assertEquals(21000, model.instances().get(0).ports().get("http"), "a recorded port is kept");
        assertNotEquals(99, model.instances().get(0).ports().get("admin"), "a recorded port outside the range is not");
    }

    @Test
    void classDataArchiveIsReadAsWrittenAndMustBeABoolean() throws Exception {
        String services = """
                [services.one]
                type = "systemd-unit"
                exec = ["/opt/jdk/bin/java17", "Main"]
                class-data-archive = true
                [services.two]
                type = "systemd-unit"
                exec = ["java", "Main"]
                """;
        SystemModel model = load(services, TWO_TARGETS, "one = [\"a\"]\ntwo = [\"a\"]\n");
        assertEquals(Optional.of(true), model.services().get("one").classDataArchive());
        assertEquals(Optional.empty(), model.services().get("two").classDataArchive(), "unset: decided by the program's name");
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load(
                services.replace("class-data-archive = true", "class-data-archive = \"off\""), TWO_TARGETS, "one = [\"a\"]\n"));
        assertEquals(1, e.errorCount(), e.getMessage());
        assertTrue(e.getMessage().contains("services.toml:4:22: error:") && e.getMessage().contains("boolean"), e.getMessage());
    }

    @Test
    void reportsAnExhaustedAutoPortRange() throws Exception {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load("""
                [services.one]
                type = "systemd-unit"
                exec = ["/bin/one"]
                ports = { a = "auto", b = "auto" }
                """, "[targets.t]\nhost = \"localhost\"\nauto-ports = \"30000-30000\"\ncontainers = { systemd-unit = {} }\n",
                "one = [\"t\"]\n"));
        assertEquals(1, e.errorCount(), e.getMessage());
        assertTrue(e.getMessage().contains("no free port left for one's port b in auto-ports 30000-30000 of target t"), e.getMessage());
    }

    @Test
    void aValueLongerThanOneProgramArgumentCanBeIsAnErrorAtItsPlace() throws Exception {
        String huge = "x".repeat(32 * 4096);
        // "FITS=" and its value make 131071 bytes, "BIG=" and its value one more.
        String environment = "environment = { FITS = \"" + huge.substring(6) + "\", BIG = \"" + huge.substring(4) + "\" }";
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load("""
                [services.one]
                type = "systemd-unit"
                exec = ["/bin/one", "%s", "%s"]
                %s
                """.formatted(huge, huge.substring(1), environment), TWO_TARGETS, "one = [\"a\"]\n"));
        assertEquals(List.of(
                "services.toml:3:21: error: services.one.exec[1] is 131072 bytes long; Linux passes at most 131071 bytes in one argument"
                        + " or environment variable",
                "services.toml:4:" + (environment.indexOf("BIG = ") + 7) + ": error: services.one.environment.BIG is 131072 bytes long"
                        + " with its name; Linux passes at most 131071 bytes in one argument or environment variable"),
                e.diagnostics().stream().map(d -> d.toString().replace(dir + "/", "")).toList());
    }

    @Test
    void nestingDeeperThanTheParserTakesIsReportedWhereItGoesTooDeep() throws Exception {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load("""
                [services.one]
                type = "systemd-unit"
                # [[[ brackets in comments and "[[[" in strings do not count
                exec = ["/bin/one", "[[[", '{{{']
                environment = { DEEP = %s }
                """.formatted("[".repeat(1001) + "]".repeat(1001)), TWO_TARGETS, ""));
        assertEquals(1, e.diagnostics().size(), e.diagnostics().toString());
        assertTrue(e.diagnostics().get(0).toString().replace(dir + "/", "")
                .startsWith("services.toml:5:1023: error: TOML syntax: Document nesting depth (1001)"), e.diagnostics().toString());
    }

    @Test
    void anEmptyDistributionIsAValidModelWithNoInstances() throws Exception {
        SystemModel model = load("[services.a]\ntype = \"systemd-unit\"\nexec = [\"/bin/a\"]\n", TWO_TARGETS, "");
        assertEquals(List.of(), model.instances());
        assertEquals(List.of("a"), model.activationOrder());
    }

    @Test
    void resolvesThePackageAgainstTheServicesFileWhenFilesAreGivenOneByOne() throws Exception {
        Path services = Files.createDirectories(dir.resolve("svc"));
        Files.writeString(services.resolve("app.jar"), "not really a jar");
        Files.writeString(services.resolve("my-services.toml"),
                "[services.app]\ntype = \"systemd-unit\"\npackage = \"app.jar\"\nexec = [\"java\", \"-jar\", \"{package}\"]\n");
        Path elsewhere = Files.createDirectories(dir.resolve("ops"));
        Files.writeString(elsewhere.resolve("machines.toml"), TWO_TARGETS);
        Files.writeString(elsewhere.resolve("placement.toml"), "app = [\"a\"]\n");
        SystemModel model = ModelLoader.load(new ModelFiles(services.resolve("my-services.toml"),
                elsewhere.resolve("machines.toml"), elsewhere.resolve("placement.toml")));
        assertEquals(Optional.of(services.resolve("app.jar").toAbsolutePath()), model.services().get("app").packagePath());
        assertEquals(List.of("java", "-jar", "/store/x-app.jar"), model.instances().get(0).exec("/store/x-app.jar"));
    }

    @Test
    void theModelCannotBeChanged() throws Exception {
        SystemModel model = load("[services.a]\ntype = \"systemd-unit\"\nexec = [\"/bin/a\"]\n", TWO_TARGETS, "a = [\"a\"]\n");
        assertThrows(UnsupportedOperationException.class, () -> model.services().clear());
        assertThrows(UnsupportedOperationException.class, () -> model.instances().clear());
        assertThrows(UnsupportedOperationException.class, () -> model.distribution().get("a").add("b"));
        assertThrows(UnsupportedOperationException.class, () -> model.services().get("a").exec().clear());
        assertThrows(UnsupportedOperationException.class, () -> model.targets().get("a").properties().clear());
    }

    @Test
    void messagesEscapeControlCharactersSoNoLineCanBeForged() throws Exception {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> load(
                "[services.\"a\\nservices.toml:1:1: error: forged\"]\ntype = \"systemd-unit\"\nexec = [\"/bin/a\"]\n",
                TWO_TARGETS, ""));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("\"a\\nservices.toml:1:1: error: forged\""), e.getMessage());
    }
}
