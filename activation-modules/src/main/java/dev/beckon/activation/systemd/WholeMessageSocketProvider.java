package dev.beckon.activation.systemd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.spi.message.IMessageReader;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.freedesktop.dbus.spi.message.ISocketProvider;
import org.freedesktop.dbus.spi.message.InputStreamMessageReader;

/**
 * dbus-java's socket provider, but for how a message is written: dbus-java's own writer sends each piece of a
 * message's wire data (a header field, a padding byte, a string) with a system call of its own, about 29 for a
 * {@code StartUnit} call, and each wakes the bus daemon for a partial read. A deployment of 200 services made 58,000 such
 * writes. This one hands the pieces to the kernel in one gathering write, so the daemon reads the message whole.
 *
 * <p>Found by dbus-java through {@code META-INF/services}, in place of its built-in provider; like that one, it passes
 * no file descriptors (beckon never sends any over the bus).
 */
public final class WholeMessageSocketProvider implements ISocketProvider {
    @Override
    public IMessageReader createReader(SocketChannel channel) {
        return new InputStreamMessageReader(channel);
    }

    @Override
    public IMessageWriter createWriter(SocketChannel channel) {
        return new WholeMessageWriter(channel);
    }

    @Override
    public void setFileDescriptorSupport(boolean support) {
        // Never passes file descriptors, whatever the bus offers.
    }

    @Override
    public boolean isFileDescriptorPassingSupported() {
        return false;
    }

    /** Writes each message with one gathering write (more only when the kernel takes part of it). */
    static final class WholeMessageWriter implements IMessageWriter {
        private final SocketChannel channel;

        WholeMessageWriter(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void writeMessage(Message message) throws IOException {
            if (message == null || message.getWireData() == null) {
                return;
            }
            byte[][] wire = message.getWireData();
            int pieces = 0;
            // As dbus-java's writer: the wire data ends at its first empty slot.
            while (pieces < wire.length && wire[pieces] != null) {
                pieces++;
            }
            ByteBuffer[] buffers = new ByteBuffer[pieces];
            long remaining = 0;
            for (int i = 0; i < pieces; i++) {
                buffers[i] = ByteBuffer.wrap(wire[i]);
                remaining += wire[i].length;
            }
            while (remaining > 0) {
                remaining -= channel.write(buffers);
            }
        }

        @Override
        public boolean isClosed() {
            return !channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            if (channel.isOpen()) {
                channel.close();
            }
        }
    }
}
