package dev.beckon.idle;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Sends one datagram to a Unix socket, which is what sd_notify needs and the JDK lacks (it has Unix stream sockets
 * only), through the native binding {@link NativeBinding} loads the first time this class sends, never before: it
 * costs about 0.4 s, which an on-demand service would otherwise pay on every start.
 */
final class NotifyDatagram {
    private static final int AF_UNIX = 1;
    /** sizeof(struct sockaddr_un): a 2-byte family and 108 bytes of path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int PATH_OFFSET = 2;

    /** The binding's send method once loaded; guarded by the class. */
    private static Method send;
    /** Why loading the binding failed, so that every later send says so at once rather than trying again. */
    private static IOException failure;

    private NotifyDatagram() {}

    /** Loads the native binding now, so that the first notification does not wait for it. */
    static void load() throws IOException {
        binding();
    }

    /**
     * Sends {@code message} to the socket {@code address} names.
     *
     * @throws IOException with the errno when the socket cannot be created or the datagram not sent, or when the
     *     native binding cannot be loaded
     */
    static void send(SocketName address, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        try {
            binding().invoke(null, address.sockaddr, address.length, bytes);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException("cannot send to " + address + ": " + io.getMessage(), io);
            }
            throw new IOException("cannot send to " + address + ": " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IOException("cannot call the sd_notify binding: " + e, e);
        }
    }

    private static synchronized Method binding() throws IOException {
        if (send == null) {
            if (failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
            try {
                send = NativeBinding.load().getMethod("send", byte[].class, int.class, byte[].class);
            } catch (IOException e) {
                failure = e;
                throw e;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                failure = new IOException("cannot load the sd_notify binding: " + e, e);
                throw failure;
            }
        }
        return send;
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
