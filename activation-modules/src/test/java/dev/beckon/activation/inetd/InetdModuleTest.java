package dev.beckon.activation.inetd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.beckon.activation.ServiceInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** The inetd module against a real openbsd-inetd, on the shared contract. */
class InetdModuleTest extends SuperServerModuleContract {

    @Override
    SuperServerFixture fixture(Path directory) throws IOException {
        return SuperServerFixture.inetd(directory);
    }

    @Override
    void addWitness(SuperServerFixture fixture, int port) throws IOException {
        Files.writeString(fixture.entries, Files.readString(fixture.entries)
                + "127.0.0.1:" + port + " stream tcp nowait root /bin/echo echo witness\n");
    }

    @Override
    void editEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException {
        String tag = " beckon-" + instance.profile() + "-" + instance.service() + "\n";
        String text = Files.readString(fixture.entries);
        assertTrue(text.contains(tag), text);
        Files.writeString(fixture.entries, text.replace(tag, " " + tag.strip() + " --edited\n"));
    }

    @Override
    void removeEntryByHand(SuperServerFixture fixture, ServiceInstance instance) throws IOException {
        String tag = " beckon-" + instance.profile() + "-" + instance.service();
        String text = Files.readString(fixture.entries);
        Files.writeString(fixture.entries, text.lines().filter(l -> !l.endsWith(tag)).map(l -> l + "\n").collect(Collectors.joining()));
    }

    /**
     * The administrator's lines are all there, as they were, before beckon's block; the one change is
     * the newline beckon had to add to end their last line before its block.
     */
    @Override
    void assertForeignUntouched(SuperServerFixture fixture) throws IOException {
        String text = Files.readString(fixture.entries);
        if (text.equals(fixture.foreignContent)) {
            return;
        }
        assertTrue(text.startsWith(fixture.foreignContent + "\n"), text);
        String rest = text.substring(fixture.foreignContent.length() + 1);
        if (!rest.isEmpty()) {
            assertTrue(rest.startsWith(InetdConf.BEGIN + "\n") && rest.endsWith(InetdConf.END + "\n"), rest);
            assertEquals(1, rest.split(InetdConf.END, -1).length - 1, rest);
        }
    }
}
