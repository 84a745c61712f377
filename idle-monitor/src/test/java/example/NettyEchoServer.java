package example;

import dev.beckon.idle.IdleMonitor;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Netty serving through the listener the service manager passed, ending when idle without losing a
 * connection: answers each line with the line and this process's pid. The README's Netty example is
 * the part between the {@code readme} markers; the tests run it under systemd.
 */
public final class NettyEchoServer {
    private static final long PID = ProcessHandle.current().pid();

    private NettyEchoServer() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        // readme:netty
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        IdleMonitor monitor = IdleMonitor.builder()
                .onShutdown(() -> {                        // runs once the counted connections ended
                    boss.shutdownGracefully().syncUninterruptibly();
                    workers.shutdownGracefully().syncUninterruptibly();
                })
                .start();
        // The listener systemd passed: a bound channel, registered, not bound again.
        NioServerSocketChannel server = new NioServerSocketChannel(monitor.listener("echo").orElseThrow());
        // When the process ends, first stop accepting, on the accepting event loop: then every
        // connection Netty took is counted, and the rest wait in the backlog for the next process.
        monitor.acceptsOnItsOwn(() -> server.deregister().syncUninterruptibly());
        ChannelFactory<NioServerSocketChannel> inherited = () -> server;
        new ServerBootstrap().group(boss, workers)
                .channelFactory(inherited)
                .handler(new CountConnections(monitor))    // on the server channel: runs where Netty accepts
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel connection) {
                        connection.pipeline().addLast(new EchoLines());
                    }
                })
                .register().sync();
        monitor.ready();                                    // from now on it may end when idle
        // readme:end
    }

    // readme:netty-count
    /** Counts every connection from the moment Netty accepts it until it closes; holds the boss loop at the bound. */
    @ChannelHandler.Sharable
    static final class CountConnections extends ChannelInboundHandlerAdapter {
        private final IdleMonitor monitor;

        CountConnections(IdleMonitor monitor) {
            this.monitor = monitor;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object accepted) {
            IdleMonitor.Activity connection = monitor.admit();  // begin(), and waits while at the bound
            ((Channel) accepted).closeFuture().addListener(closed -> connection.close());
            context.fireChannelRead(accepted);
        }
    }
    // readme:end

    /** Answers each line with {@code LINE pid=PID}. */
    private static final class EchoLines extends ChannelInboundHandlerAdapter {
        private final StringBuilder line = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            ByteBuf bytes = (ByteBuf) message;
            try {
                while (bytes.isReadable()) {
                    char next = (char) bytes.readByte();
                    if (next == '\n') {
                        String answer = line + " pid=" + PID + "\n";
                        line.setLength(0);
                        context.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.UTF_8));
                    } else {
                        line.append(next);
                    }
                }
            } finally {
                bytes.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            context.close();
        }
    }
}
