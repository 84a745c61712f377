package dev.beckon.idle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * Sends one datagram to a Unix socket through libc, which is what sd_notify needs and the JDK lacks
 * (it has Unix stream sockets only). jnr-ffi is loaded the first time this class is used, never
 * before: it costs about 0.4 s, which an on-demand service would otherwise pay on every start.
 */
final class NotifyDatagram {
    // Linux values, the same on every architecture systemd runs on.
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sizeof(struct sockaddr_un): a 2-byte family and 108 bytes of path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int PATH_OFFSET = 2;

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

    private static final class Binding {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
    }

    private NotifyDatagram() {}

    /** Loads the native binding now, so that the first notification does not wait for it. */
    static void load() {
        Binding.LIBC.hashCode();
    }

    /**
     * Sends {@code message} to the socket {@code address} names.
     *
     * @throws IOException with the errno when the socket cannot be created or the datagram not sent
     */
    static void send(SocketName address, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        LibC libc = Binding.LIBC;
        int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create a Unix datagram socket: errno " + Binding.RUNTIME.getLastError());
        }
        try {
            long sent = libc.sendto(fd, bytes, bytes.length, MSG_NOSIGNAL, address.sockaddr, address.length);
            if (sent < 0) {
                throw new IOException("cannot send to " + address + ": errno " + Binding.RUNTIME.getLastError());
            }
        } finally {
            libc.close(fd);
        }
    }

    /**
     * A {@code NOTIFY_SOCKET} value as a {@code struct sockaddr_un}: an absolute path, or an abstract
     * name written with a leading {@code @}.
     */
    static final class SocketName {
        final byte[] sockaddr;
        final int length;
        private final String text;

        private SocketName(byte[] sockaddr, int length, String text) {
            this.sockaddr = sockaddr;
            this.length = length;
            this.text = text;
        }

        /**
         * @throws IllegalArgumentException when it is neither an absolute path nor an {@code @} name
         *     (systemd 252 writes nothing else), or does not fit in a sockaddr_un
         */
        static SocketName parse(String value) {
            boolean isAbstract = value.startsWith("@");
            if (!isAbstract && !value.startsWith("/")) {
                throw new IllegalArgumentException("is neither an absolute path nor an abstract socket name starting with @");
            }
            byte[] name = value.getBytes(StandardCharsets.UTF_8);
            // An abstract name is the path with a NUL in place of '@' and no terminator; a path is NUL-terminated.
            int pathBytes = isAbstract ? name.length : name.length + 1;
            if (name.length < 2 || PATH_OFFSET + pathBytes > SOCKADDR_UN_SIZE) {
                throw new IllegalArgumentException("does not fit in a Unix socket address (1 to 107 bytes)");
            }
            ByteBuffer address = ByteBuffer.allocate(SOCKADDR_UN_SIZE).order(ByteOrder.nativeOrder());
            address.putShort((short) AF_UNIX);
            if (isAbstract) {
                address.put((byte) 0).put(name, 1, name.length - 1);
            } else {
                address.put(name).put((byte) 0);
            }
            return new SocketName(address.array(), PATH_OFFSET + pathBytes, value);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
