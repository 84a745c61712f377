package dev.beckon.idle;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;

/** The listeners a monitor binds itself when no service manager handed any over. */
final class StandaloneListeners {
    /** One address the builder named, with the name the service finds its listener by. */
    record Address(String name, SocketAddress address) {}

    private StandaloneListeners() {}

    /** Binds each address, or none: on a failure the ones already bound are closed again. */
    static List<InheritedSockets.Named> bind(List<Address> addresses) throws IOException {
        List<InheritedSockets.Named> bound = new ArrayList<>();
        try {
            for (Address wanted : addresses) {
                ServerSocketChannel channel = wanted.address() instanceof UnixDomainSocketAddress
                        ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
                bound.add(new InheritedSockets.Named(wanted.name(), channel));
                try {
                    channel.bind(wanted.address());
                } catch (IOException e) {
                    throw new IOException("cannot listen on " + wanted.address() + " (" + wanted.name() + "): " + e.getMessage(), e);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (InheritedSockets.Named listener : bound) {
                listener.channel().close();
            }
            throw e;
        }
        return bound;
    }

    /** The bound addresses, with their names, for the log line that says where it listens. */
    static String describe(List<InheritedSockets.Named> listeners) {
        List<String> names = new ArrayList<>();
        for (InheritedSockets.Named listener : listeners) {
            String address;
            try {
                address = String.valueOf(listener.channel().getLocalAddress());
            } catch (IOException e) {
                address = "(address unknown: " + e.getMessage() + ")";
            }
            names.add(address + (listener.name() == null ? "" : " (" + listener.name() + ")"));
        }
        return String.join(", ", names);
    }
}
