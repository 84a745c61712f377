package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.nio.file.Path;

/**
 * The {@code xinetd} module: one file per instance, {@code beckon-PROFILE-SERVICE}, in xinetd's
 * include directory ({@code type = UNLISTED}), whose {@code server} is a launcher in the instance
 * directory that sets the environment and execs the exact argv.
 *
 * <p>Container settings: {@code directory} (default {@code /etc/xinetd.d}, which xinetd's main
 * configuration must name with {@code includedir}) and {@code pid-file} (default
 * {@code /run/xinetd.pid}), whose process gets SIGHUP after each change. Only on-demand services with
 * one TCP listener: {@code accept = false} is {@code wait = yes}, {@code accept = true} is
 * {@code wait = no}. Servers run as the user beckon runs as; their standard output and error go to
 * {@code STATE_DIR/logs/PROFILE/SERVICE.log}.
 */
public final class XinetdModule implements ActivationModule {
    public static final String TYPE = "xinetd";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Rendering render(ServiceInstance instance) {
        return XinetdFile.render(instance);
    }

    @Override
    public ModuleSession open(TargetContainer container) {
        return new XinetdSession(container.target(), Path.of(container.setting("directory", "/etc/xinetd.d")),
                Path.of(container.setting("pid-file", "/run/xinetd.pid")));
    }
}
