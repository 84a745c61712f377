package dev.beckon.idle;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.spi.SelectorProvider;

/**
 * Turns an inherited file descriptor above 2 into a real {@code ServerSocketChannel} or
 * {@code SocketChannel} of the JDK's own provider, the kind plain NIO, Jetty and Netty accept.
 *
 * <p>The JDK offers that only for fd 0 ({@code System.inheritedChannel()}). The classes that do it
 * for any fd are in {@code sun.nio.ch}. When that package is open to this library ({@code --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED}, or {@code Add-Opens: java.base/sun.nio.ch} in an executable
 * jar's manifest) they are used as they are. Otherwise, so that no user has to add a flag for the
 * standard contract, this library makes those few members accessible itself through
 * {@code sun.misc.Unsafe} (module {@code jdk.unsupported}, open to all code): it finds the
 * {@code override} flag of {@code AccessibleObject} by comparing a member of its own before and
 * after {@code setAccessible(true)}, and sets that flag on the JDK's members only. That costs about a
 * millisecond; the alternatives cost more: a native {@code dup2} (jnr) adds about 0.4 s to every cold
 * start and still has to pass through fd 0, which only works once per process. JDKs from 23 on warn
 * about Unsafe's memory access ({@code --sun-misc-unsafe-memory-access}); the flag above avoids it.
 */
final class ListenFds {
    static final String HOW_TO_ALLOW = "run java with --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
            + " (or, for java -jar, put 'Add-Opens: java.base/sun.nio.ch' in the jar's manifest)";

    private static Internals internals;

    private ListenFds() {}

    /**
     * The channel for an inherited fd: a {@code ServerSocketChannel} for a listening stream socket, a
     * {@code SocketChannel} for a connected one (systemd {@code Accept=yes}); {@code null} for anything
     * else (a datagram socket, a file), which the caller reports.
     *
     * @throws IllegalStateException when {@code sun.nio.ch} is not opened to this library; the message
     *     says how to open it
     * @throws IOException when the JDK cannot make a channel of it
     */
    static Channel open(int fd) throws IOException {
        return internals().open(fd);
    }

    /** Whether {@code sun.nio.ch} is open to this library, so that {@link #open} can work. */
    static boolean isAllowed() {
        return Object.class.getModule().isOpen("sun.nio.ch", ListenFds.class.getModule());
    }

    private static synchronized Internals internals() {
        // Not a holder class: a failed lookup must throw its clear message every time, not NoClassDefFoundError.
        if (internals == null) {
            internals = new Internals();
        }
        return internals;
    }

    /** The JDK's internals, looked up once, only when a service has fds above 2 to use. */
    private static final class Internals {
        private final Method socketType;
        private final Method addressFamily;
        private final Method protocolFamily;
        private final Method isConnected;
        private final Method inetPeerAddress;
        private final Method peerPort;
        private final Method unixPeerAddress;
        private final Method newFileDescriptor;
        private final Constructor<?> serverChannel;
        private final Constructor<?> connectedChannel;
        private final int streamType;
        private final int unknownFamily;
        private final int unixFamily;

        private Internals() {
            try {
                Class<?> inherited = Class.forName("sun.nio.ch.InheritedChannel");
                socketType = accessible(inherited.getDeclaredMethod("soType0", int.class));
                addressFamily = accessible(inherited.getDeclaredMethod("addressFamily", int.class));
                protocolFamily = accessible(inherited.getDeclaredMethod("protocolFamily", int.class));
                isConnected = accessible(inherited.getDeclaredMethod("isConnected", int.class));
                inetPeerAddress = accessible(inherited.getDeclaredMethod("inetPeerAddress0", int.class));
                peerPort = accessible(inherited.getDeclaredMethod("peerPort0", int.class));
                unixPeerAddress = accessible(inherited.getDeclaredMethod("unixPeerAddress", int.class));
                streamType = constant(inherited, "SOCK_STREAM");
                unknownFamily = constant(inherited, "AF_UNKNOWN");
                unixFamily = constant(inherited, "AF_UNIX");
                newFileDescriptor = accessible(Class.forName("sun.nio.ch.IOUtil").getDeclaredMethod("newFD", int.class));
                serverChannel = accessible(Class.forName("sun.nio.ch.ServerSocketChannelImpl").getDeclaredConstructor(
                        SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class, boolean.class));
                connectedChannel = accessible(Class.forName("sun.nio.ch.SocketChannelImpl").getDeclaredConstructor(
                        SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class, SocketAddress.class));
            } catch (InaccessibleObjectException e) {
                throw new IllegalStateException("systemd passed sockets as fds 3 and up (LISTEN_FDS); to use them as"
                        + " ServerSocketChannels, " + HOW_TO_ALLOW, e);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JDK (" + System.getProperty("java.version") + ") lacks the internals"
                        + " that turn fds 3 and up into channels; give the service one socket, on standard input"
                        + " (StandardInput=socket), which needs none", e);
            }
        }

        Channel open(int fd) throws IOException {
            try {
                if ((int) socketType.invoke(null, fd) != streamType) {
                    return null;
                }
                int family = (int) addressFamily.invoke(null, fd);
                if (family == unknownFamily) {
                    return null;
                }
                ProtocolFamily protocol = (ProtocolFamily) protocolFamily.invoke(null, family);
                FileDescriptor descriptor = (FileDescriptor) newFileDescriptor.invoke(null, fd);
                SelectorProvider provider = SelectorProvider.provider();
                if (!(boolean) isConnected.invoke(null, fd)) {
                    return (Channel) serverChannel.newInstance(provider, protocol, descriptor, true);
                }
                SocketAddress peer = family == unixFamily
                        ? UnixDomainSocketAddress.of((String) unixPeerAddress.invoke(null, fd))
                        : new InetSocketAddress((InetAddress) inetPeerAddress.invoke(null, fd), (int) peerPort.invoke(null, fd));
                return (Channel) connectedChannel.newInstance(provider, protocol, descriptor, peer);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("cannot make a channel of fd " + fd + ": " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IOException("cannot make a channel of fd " + fd + ": " + e, e);
            }
        }

        private static <T extends AccessibleObject> T accessible(T member) {
            if (isAllowed()) {
                member.setAccessible(true);
            } else {
                AccessOverride.grant(member);
            }
            return member;
        }

        private static int constant(Class<?> type, String name) throws ReflectiveOperationException {
            Field field = accessible(type.getDeclaredField(name));
            return field.getInt(null);
        }
    }

    /**
     * Grants access to a member of a package not open to this library, through Unsafe: the way that
     * asks for no command-line flag. Every step is checked; what fails throws
     * {@link InaccessibleObjectException}, whose message says how to open the package instead.
     *
     * <p>Unsafe's methods are called directly, not reflectively: invoking a method of Unsafe through
     * {@code Method.invoke} makes the JDK parse its annotations ({@code @ForceInline}) into proxies, which
     * generates classes and cost about 60 ms of CPU at every cold start (measured on JDK 17). The class is in
     * {@code jdk.unsupported}, exported to all code and resolved for every class-path application.
     */
    private static final class AccessOverride {
        private static sun.misc.Unsafe unsafe;
        private static long overrideOffset = -1;

        private AccessOverride() {}

        static synchronized void grant(AccessibleObject member) {
            try {
                if (overrideOffset < 0) {
                    find();
                }
                unsafe.putBoolean(member, overrideOffset, true);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                InaccessibleObjectException failure = new InaccessibleObjectException("cannot make " + member + " accessible: " + e);
                failure.initCause(e);
                throw failure;
            }
            if (!member.isAccessible()) {
                throw new InaccessibleObjectException("cannot make " + member + " accessible");
            }
        }

        /** The offset of {@code AccessibleObject.override}: the one byte that setAccessible(true) turns from 0 to 1. */
        @SuppressWarnings("deprecation") // isAccessible() is what reads override, the very flag looked for
        private static void find() throws ReflectiveOperationException {
            Field instance = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            instance.setAccessible(true);
            unsafe = (sun.misc.Unsafe) instance.get(null);
            Method closed = AccessOverride.class.getDeclaredMethod("find");
            Method open = AccessOverride.class.getDeclaredMethod("find");
            open.setAccessible(true);
            if (closed.isAccessible() || !open.isAccessible()) {
                throw new IllegalStateException("setAccessible does not behave as expected");
            }
            // Past the object header (8 to 16 bytes), the override flag is among the first fields.
            for (long offset = 8; offset < 64; offset++) {
                if (unsafe.getByte(closed, offset) == 0 && unsafe.getByte(open, offset) == 1) {
                    Method probe = AccessOverride.class.getDeclaredMethod("find");
                    unsafe.putBoolean(probe, offset, true);
                    if (probe.isAccessible()) {
                        overrideOffset = offset;
                        return;
                    }
                    unsafe.putBoolean(probe, offset, false);
                }
            }
            throw new IllegalStateException("found no override flag in this JDK's AccessibleObject");
        }
    }
}
