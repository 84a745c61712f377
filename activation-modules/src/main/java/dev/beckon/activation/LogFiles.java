package dev.beckon.activation;

import dev.beckon.models.Messages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading a log file a launcher appends to, for {@code beckon logs}: its last lines, or those after an offset. */
public final class LogFiles {
    /** The most read at once: a launcher rotates its log at 1 MiB, so this covers all of one. */
    private static final int MOST_BYTES = 2 * 1024 * 1024;

    private LogFiles() {}

    /**
     * The last {@code lines} complete lines of {@code file}, or, after an offset an earlier read returned, the
     * complete lines written since (at most {@code lines}, the newest). A file shorter than the offset was
     * rotated: read from its beginning. The position returned is the offset after the last complete line.
     * Never follows a link.
     */
    public static InstanceLog read(ServiceInstance instance, Path file, int lines, Optional<String> after) throws ActivationException {
        long from;
        try {
            from = after.filter(a -> !a.isEmpty()).map(Long::parseLong).orElse(-1L);
        } catch (NumberFormatException e) {
            throw new ActivationException(instance.id(), "not a position in its log: " + Messages.printable(after.get()));
        }
        try (FileChannel channel = SafeDirectories.openNoFollow(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long start = from < 0 || from > size ? 0 : from;
            if (from < 0 || size - start > MOST_BYTES) {
                start = Math.max(start, size - MOST_BYTES);
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
            while (buffer.hasRemaining() && channel.read(buffer, start + buffer.position()) > 0) {
                // read on until the buffer is full
            }
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--; // a line still being written waits for the next read
            }
            String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
            List<String> read = new ArrayList<>(text.lines().map(Messages::printable).toList());
            if (start > 0 && (from < 0 || start != from) && !read.isEmpty()) {
                read.remove(0); // cut in the middle by the byte limit
            }
            List<String> last = read.subList(Math.max(0, read.size() - lines), read.size());
            return new InstanceLog(last, String.valueOf(start + end), last.isEmpty() && from < 0 ? "its log " + file + " is empty" : "");
        } catch (NoSuchFileException e) {
            return new InstanceLog(List.of(), "", "no server of it has run yet: its log " + file + " is not there");
        } catch (IOException e) {
            throw new ActivationException(instance.id(), "cannot read its log " + file + ": " + SafeDirectories.describe(e), e);
        }
    }
}
