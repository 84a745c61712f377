package dev.beckon.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.models.InstanceSpec;
import dev.beckon.models.ModelLoader;
import dev.beckon.models.SystemModel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hello-world example: its model is valid and its server, run as the model says, greets. */
class HelloWorldIT {
    private static final Path EXAMPLE = Path.of("").toAbsolutePath();

    @Test
    void theModelIsValidAndPlacesHelloOnDemandOnTheLocalTarget() throws Exception {
        SystemModel model = ModelLoader.load(EXAMPLE);
        InstanceSpec hello = model.instances().get(0);
        assertEquals("hello@local", hello.id());
        assertEquals(Duration.ofSeconds(5), hello.service().onDemand().orElseThrow().idleTimeout());
        assertTrue(Files.isRegularFile(hello.service().packagePath().orElseThrow()), "the model's package is the built jar");
    }

    @Test
    void theServerStartedAsTheModelSaysGreetsEveryClient() throws Exception {
        SystemModel model = ModelLoader.load(EXAMPLE);
        InstanceSpec hello = model.instances().get(0);
        int port = freePort();
        List<String> command = new ArrayList<>(hello.exec(hello.service().packagePath().orElseThrow().toString()));
        command.addAll(List.of("--port", String.valueOf(port)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(hello.environment(""));
        Process server = builder.start();
        try {
            assertEquals("hello from local\n", greetingWhenListening(port, server));
            assertEquals("hello from local\n", greetingWhenListening(port, server), "a second client is greeted too");
        } finally {
            server.destroyForcibly().waitFor();
        }
    }

    private static String greetingWhenListening(int port, Process server) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                socket.setSoTimeout(10_000);
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException notYet) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the hello server did not listen on " + port + " (alive: " + server.isAlive() + ")", notYet);
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            return probe.getLocalPort();
        }
    }
}
