package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ActivationException;
import dev.beckon.activation.ModuleSession;
import dev.beckon.activation.ServiceInstance;
import dev.beckon.activation.testing.TestServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The xinetd module against a real xinetd, on the shared contract. */
class XinetdModuleTest extends SuperServerModuleContract {

    @Override
    SuperServerFixture fixture(Path directory) throws IOException {
        return SuperServerFixture.xinetd(directory);
    }

    @Override
    void addWitness(SuperServerFixture fixture, int port) throws IOException {
        Files.writeString(fixture.entries.resolve("witness"), fixture.foreignContent.replace("service foreign", "service witness")
                .replace("port        = " + fixture.foreignPort, "port        = " + port));
    }

    @Override
    void editEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException {
        Path file = fixture.entryFile(instance);
        Files.writeString(file, Files.readString(file).replace("}\n", "    instances   = 5\n}\n"));
    }

    @Override
    void removeEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException {
        Files.delete(fixture.entryFile(instance));
    }

    /** The foreign file is as it was, and the directory holds nothing but it, beckon's files and the witness. */
    @Override
    void assertForeignUntouched(SuperServerFixture fixture) throws IOException {
        assertEquals(fixture.foreignContent, Files.readString(fixture.foreignFile));
        try (Stream<Path> files = Files.list(fixture.entries)) {
            List<String> strays = files.map(p -> p.getFileName().toString())
                    .filter(name -> !name.equals("foreign") && !name.equals("witness") && !name.matches("beckon-[a-z0-9]+-[a-z0-9-]+"))
                    .toList();
            assertEquals(List.of(), strays, "no temporary or stray files in the include directory");
        }
    }

    @Test
    void aFileBeckonDidNotWriteIsNeitherReplacedNorRemoved() throws Exception {
        try (SuperServerFixture fixture = fixture(directory); ModuleSession session = fixture.open()) {
            ServiceInstance hello = fixture.greeter("test", "hello", TestServices.freePort(), "hello", IDLE, false);
            Path theirs = fixture.entryFile(hello);
            String content = fixture.foreignContent.replace("service foreign", "service theirs")
                    .replace("port        = " + fixture.foreignPort, "port        = " + TestServices.freePort());
            Files.writeString(theirs, content);
            ActivationException refused = assertThrows(ActivationException.class, () -> session.activate(hello));
            assertTrue(refused.getMessage().contains(theirs + " exists and beckon did not write it"), refused.getMessage());
            assertThrows(ActivationException.class, () -> session.deactivate(hello));
            assertEquals(content, Files.readString(theirs));
        }
    }
}
