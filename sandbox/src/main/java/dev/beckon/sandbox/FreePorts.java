package dev.beckon.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports for the tests' services and sockets, free on an address when asked and never handed out twice by one JVM. The
 * kernel may give the port a probe just closed to the next probe at once: two services asked for in a row then got
 * the same port, and the second socket failed to bind (seen: WavesIT's s2 and s3 both on 43793).
 */
public final class FreePorts {
    private static final int ATTEMPTS = 1000;
    private static final Set<String> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /** A port free on 127.0.0.1 now, not handed out before by this JVM. */
    public static int onLoopback() throws IOException {
        return on("127.0.0.1");
    }

    /** A port free on {@code address} now, not handed out before by this JVM for that address. */
    public static int on(String address) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(address, 0));
                port = probe.getLocalPort();
            }
            if (HANDED_OUT.add(address + ":" + port)) {
                return port;
            }
        }
        throw new IOException("no free port on " + address + " that this JVM had not handed out already, in " + ATTEMPTS + " tries");
    }
}
