package dev.beckon.idle.binding;

import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * One datagram to a Unix socket through libc, bound by jnr-ffi: what sd_notify needs and the JDK lacks (it has Unix
 * stream sockets only). Not for the application's class loader: {@code dev.beckon.idle.NativeBinding} loads this class
 * in a loader of its own, beside jnr-ffi's jars, and calls {@link #send} reflectively. Public for that reason only.
 */
public final class LibcDatagram {
    // Linux values, the same on every architecture systemd runs on.
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;

    /** The libc functions used, bound by jnr-ffi. Public only because jnr-ffi implements it from outside. */
    public interface LibC {
        /** socket(2). */
        @SaveError
        int socket(int domain, int type, int protocol);

        /** sendto(2). */
        @SaveError
        @ssize_t
        long sendto(int fd, @In byte[] message, @size_t long length, int flags, @In byte[] address, int addressLength);

        /** close(2). */
        int close(int fd);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
    private static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

    private LibcDatagram() {}

    /**
     * Sends {@code message} to the socket {@code sockaddr} (a {@code struct sockaddr_un} of {@code length} bytes) names,
     * from a socket made for it and closed after.
     *
     * @throws IOException with the errno when the socket cannot be made or the datagram not sent
     */
    public static void send(byte[] sockaddr, int length, byte[] message) throws IOException {
        int fd = LIBC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create a Unix datagram socket: errno " + RUNTIME.getLastError());
        }
        try {
            if (LIBC.sendto(fd, message, message.length, MSG_NOSIGNAL, sockaddr, length) < 0) {
                throw new IOException("errno " + RUNTIME.getLastError());
            }
        } finally {
            LIBC.close(fd);
        }
    }
}
