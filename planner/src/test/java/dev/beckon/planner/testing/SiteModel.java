package dev.beckon.planner.testing;

import dev.beckon.activation.testing.TestServices;
import dev.beckon.sandbox.SystemdUserManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The smallest model with a package: one service {@code site} that answers each connection with its package's
 * {@code index.html} ({@code /bin/cat}, on demand, a process per connection, never asked by these tests), on the
 * sandbox's systemd as target {@code local}.
 */
public final class SiteModel {
    private SiteModel() {}

    /**
     * Writes the model's three files into {@code model} and its package {@code site/index.html} beside them.
     *
     * @return the package's one file
     */
    public static Path write(Path model, SystemdUserManager systemd, Path stateDirectory) throws IOException {
        Files.createDirectories(model);
        Files.writeString(model.resolve("infrastructure.toml"), systemd.localTarget(stateDirectory));
        Files.writeString(model.resolve("services.toml"), """
                [services.site]
                type = "systemd-unit"
                package = "site"
                exec = ["/bin/cat", "{package}/index.html"]
                [services.site.on-demand]
                listen = ["127.0.0.1:%d"]
                accept = true
                """.formatted(TestServices.freePort()));
        Files.writeString(model.resolve("distribution.toml"), "site = [\"local\"]\n");
        return Files.writeString(Files.createDirectories(model.resolve("site")).resolve("index.html"), "hello\n");
    }
}
