package dev.beckon.planner.plan;

import dev.beckon.planner.testing.ExampleSystems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ListenAddress;
import dev.beckon.models.ModelFiles;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.OnDemand;
import dev.beckon.models.PortRange;
import dev.beckon.models.Service;
import dev.beckon.models.SourceLocation;
import dev.beckon.models.SystemModel;
import dev.beckon.models.Target;
import dev.beckon.models.TargetHost;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DependencyGraphTest {
    @TempDir
    Path dir;

    @Test
    void helloWorldExampleIsOneOnDemandServiceOnOneTarget() throws Exception {
        SystemModel model = ModelLoader.load(ExampleSystems.copy("hello-world", dir));
        assertEquals(ExampleSystems.expectedGraph("hello-world"), DependencyGraph.render(model));
    }

    @Test
    void tcpProxyExampleHasAnEdgeFromTheProxyToHello() throws Exception {
        SystemModel model = ModelLoader.load(ExampleSystems.copy("tcp-proxy", dir));
        assertEquals(ExampleSystems.expectedGraph("tcp-proxy"), DependencyGraph.render(model));
    }

    @Test
    void dependenciesAreDrawnToTheInstancesTheModelResolvesThemTo() throws Exception {
        Files.writeString(dir.resolve("services.toml"), """
                [services.db]
                type = "systemd-unit"
                description = "The database"
                exec = ["/usr/bin/db", "--port", "{ports.sql}"]
                ports = { sql = 5432 }

                [services.cache]
                type = "systemd-unit"
                exec = ["/usr/bin/cache"]
                ports = { memcache = "auto" }

                [services.log]
                type = "systemd-unit"
                exec = ["/usr/bin/log"]

                [services.app]
                type = "systemd-unit"
                exec = ["/usr/bin/app", "--db", "{deps.db.host}:{deps.db.ports.sql}", "--cache", "{deps.cache.ports.memcache}"]
                depends-on = ["db", "cache", "log"]
                [services.app.on-demand]
                listen = ["8080", "/run/app.sock"]
                idle-timeout = "1m30s"

                [services.echo]
                type = "systemd-unit"
                exec = ["/usr/bin/echo-server"]
                [services.echo.on-demand]
                listen = ["127.0.0.1:7"]
                accept = true
                """);
        // Four machines in the model's eyes: one host here, so each a service manager of its own.
        Files.writeString(dir.resolve("infrastructure.toml"), """
                [targets.web]
                host = "localhost"
                hostname = "10.0.0.1"
                auto-ports = "21000-21000"
                containers = { systemd-unit = { bus = "unix:path=/run/web/bus" } }
                [targets.data]
                host = "localhost"
                hostname = "10.0.0.2"
                auto-ports = "22000-22000"
                containers = { systemd-unit = { bus = "unix:path=/run/data/bus" } }
                [targets.spare]
                host = "localhost"
                hostname = "10.0.0.3"
                containers = { systemd-unit = { bus = "unix:path=/run/spare/bus" } }
                [targets.standby]
                host = "localhost"
                hostname = "10.0.0.4"
                containers = { systemd-unit = { bus = "unix:path=/run/standby/bus" } }
                """);
        Files.writeString(dir.resolve("distribution.toml"), """
                db = ["data"]
                cache = ["data", "web"]
                log = ["spare", "data"]
                app = ["web"]
                echo = ["web"]
                """);
        SystemModel model = ModelLoader.load(dir);
        // app@web connects to db on data (across targets) and to cache on its own target; log runs on
        // two other targets, so app is ordered after both.
        assertEquals("""
                // Drawn by beckon graph. Dashed: started on demand; solid: always running.
                // Arrows point from a service to the services it depends on.
                digraph beckon {
                  rankdir=LR;
                  node [shape=box, style=rounded];

                  subgraph "cluster_data" {
                    label="data\\n10.0.0.2";
                    "cache@data" [label="cache\\nsystemd-unit\\nalways running\\nports: memcache=22000"];
                    "db@data" [label="db\\nsystemd-unit\\nalways running\\nports: sql=5432", tooltip="The database"];
                    "log@data" [label="log\\nsystemd-unit\\nalways running"];
                  }

                  subgraph "cluster_spare" {
                    label="spare\\n10.0.0.3";
                    "log@spare" [label="log\\nsystemd-unit\\nalways running"];
                  }

                  subgraph "cluster_standby" {
                    label="standby\\n10.0.0.4";
                    "@standby" [label="nothing placed here", shape=plaintext];
                  }

                  subgraph "cluster_web" {
                    label="web\\n10.0.0.1";
                    "cache@web" [label="cache\\nsystemd-unit\\nalways running\\nports: memcache=21000"];
                    "echo@web" [label="echo\\nsystemd-unit\\non demand, one process per connection\\nlisten: 127.0.0.1:7", style="rounded,dashed"];
                    "app@web" [label="app\\nsystemd-unit\\non demand, idle exit after 1m30s\\nlisten: 8080, /run/app.sock", style="rounded,dashed"];
                  }
                  "app@web" -> "db@data";
                  "app@web" -> "cache@web";
                  "app@web" -> "log@spare";
                  "app@web" -> "log@data";
                }
                """, DependencyGraph.render(model));
    }

    /** A model the loader would refuse, to show that even a name cannot break out of its DOT string. */
    private static SystemModel hostileModel() {
        SourceLocation nowhere = SourceLocation.startOf(Path.of("services.toml"));
        Service dependency = new Service("db\" ]; \"evil\" [shape=star", "x\\l", "line one\nline two\r\n\"quoted\" \\N &amp; }\u0007",
                Optional.empty(), List.of(), new TreeMap<>(), new TreeMap<>(), List.of(), Optional.empty(), nowhere);
        Service dependant = new Service("app\n}", "systemd-unit", "", Optional.empty(), List.of(), new TreeMap<>(), new TreeMap<>(),
                List.of(dependency.name()), Optional.of(new OnDemand(List.of(), Duration.ofSeconds(5), false)), nowhere);
        Target target = new Target("t\\\"", TargetHost.parse("localhost"), "host\"\n} digraph x {", Optional.empty(),
                new TreeMap<>(), new TreeMap<>(), PortRange.DEFAULT, nowhere);
        InstanceSpec db = new InstanceSpec(dependency, target, new TreeMap<>(), List.of(), new TreeMap<>());
        InstanceSpec app = new InstanceSpec(dependant, target, new TreeMap<>(Map.of("a\"b", 1)),
                List.of(new ListenAddress.Unix("/run/\"x\"")),
                new TreeMap<>(Map.of(dependency.name(), new InstanceSpec.Endpoint(target.name(), target.hostname(), new TreeMap<>()))));
        return new SystemModel(ModelFiles.in(Path.of(".")),
                new TreeMap<>(Map.of(dependency.name(), dependency, dependant.name(), dependant)),
                new TreeMap<>(Map.of(target.name(), target)),
                new TreeMap<>(Map.of(dependency.name(), List.of(target.name()), dependant.name(), List.of(target.name()))),
                List.of(dependency.name(), dependant.name()), List.of(db, app));
    }

    @Test
    void quotesBackslashesLineBreaksAndEntitiesCannotInjectDot() {
        assertEquals("""
                // Drawn by beckon graph. Dashed: started on demand; solid: always running.
                // Arrows point from a service to the services it depends on.
                digraph beckon {
                  rankdir=LR;
                  node [shape=box, style=rounded];

                  subgraph "cluster_t\\\\\\"" {
                    label="t\\\\\\"\\nhost\\"\\n} digraph x {";
                    "db\\" ]; \\"evil\\" [shape=star@t\\\\\\"" [label="db\\" ]; \\"evil\\" [shape=star\\nx\\\\l\\nalways running", \
                tooltip="line one\\nline two\\n\\"quoted\\" \\\\N &amp;amp; }\\\\u0007"];
                    "app\\n}@t\\\\\\"" [label="app\\n}\\nsystemd-unit\\non demand, idle exit after 5s\\nlisten: /run/\\"x\\"\\nports: a\\"b=1", \
                style="rounded,dashed"];
                  }
                  "app\\n}@t\\\\\\"" -> "db\\" ]; \\"evil\\" [shape=star@t\\\\\\"";
                }
                """, DependencyGraph.render(hostileModel()));
    }

    @Test
    void graphvizReadsHostileValuesBackAsTheyWere() throws Exception {
        Optional<Path> dot = Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                .map(directory -> Path.of(directory, "dot")).filter(Files::isExecutable).findFirst();
        assumeTrue(dot.isPresent(), "Graphviz's dot is not installed (bin/install-test-dependencies installs it)");
        Process process = new ProcessBuilder(dot.get().toString(), "-Tsvg").redirectErrorStream(true).start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(DependencyGraph.render(hostileModel()).getBytes(StandardCharsets.UTF_8));
        }
        String svg = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), svg);
        assertEquals(1, count(svg, "class=\"cluster\""), svg);
        assertEquals(2, count(svg, "class=\"node\""), svg);
        assertEquals(1, count(svg, "class=\"edge\""), svg);
        assertTrue(svg.contains(">db&quot; ]; &quot;evil&quot; [shape=star</text>"), svg);
        assertTrue(svg.contains(">x\\l</text>"), svg);
        assertTrue(svg.contains(">host&quot;</text>"), svg);
        assertTrue(svg.contains(">} digraph x {</text>"), svg);
        // Only the start and end of the tooltip: Graphviz 2.43 unescapes a tooltip twice, so the backslash
        // before N goes, and \N becomes the node's name (harmless: it cannot add any DOT syntax).
        assertTrue(svg.contains("xlink:title=\"line one&#10;line two&#10;&quot;quoted&quot; "), svg);
        assertTrue(svg.contains(" &amp;amp; }\\u0007\">"), svg);
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }
}
