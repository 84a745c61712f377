package dev.beckon.activation.inetd;

import dev.beckon.activation.ActivationModule;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.Rendering;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.TargetContainer;
import java.nio.file.Path;

/**
 * The {@code inetd} module (openbsd-inetd): one line per instance in beckon's marked block of the
 * configuration file, pointing at a launcher in the instance directory that sets the environment and
 * execs the exact argv (inetd splits its lines on white space, knows no quoting and passes no
 * environment). Every other line of the file stays as it is.
 *
 * <p>Container settings: {@code config} (default {@code /etc/inetd.conf}) and {@code pid-file}
 * (default {@code /run/inetd.pid}), whose process gets SIGHUP after each change. Only on-demand
 * services with one TCP listener: {@code accept = false} is {@code wait} (one server gets the listening
 * socket on fd 0 and exits when idle), {@code accept = true} is {@code nowait} (one server per
 * connection, the connection on fd 0). Servers run as the user beckon runs as; their standard output
 * and error go to {@code STATE_DIR/logs/PROFILE/SERVICE.log}.
 */
public final class InetdModule implements ActivationModule {
    public static final String TYPE = "inetd";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Rendering render(ServiceInstance instance) {
        return InetdConf.render(instance);
    }

    @Override
    public ModuleSession open(TargetContainer container) {
        return new InetdSession(container.target(), Path.of(container.setting("config", "/etc/inetd.conf")),
                Path.of(container.setting("pid-file", "/run/inetd.pid")));
    }
}
