package dev.beckon.planner.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Manifests as JSON: stable key order, so the same manifest always gives the same bytes. They are written with
 * jackson-databind and read with {@link RecordJsonReader}, which every command that reads a profile uses: databind's
 * mapper is made only by a command that writes (see {@link #mapper}).
 */
public final class ManifestJson {
    private ManifestJson() {}

    /** The mapper manifests (and beckon's other JSON records) are written with; made at the first call. */
    public static ObjectMapper mapper() {
        return Mapper.MAPPER;
    }

    /** Made when first used, not when a manifest is first read: databind's mapper is a noticeable part of a start. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();

        /**
         * Writes bytes as {@link #write} does: with a supplementary character (an emoji) as itself, not escaped as
         * two surrogates, which Jackson's byte writer does unless told.
         */
        static final com.fasterxml.jackson.databind.ObjectWriter BYTE_WRITER = MAPPER.writer()
                .with(com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8);
    }

    public static byte[] write(Manifest manifest) {
        try {
            return (Mapper.MAPPER.writeValueAsString(manifest) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a manifest as JSON (this is a bug): " + e.getMessage(), e);
        }
    }

    /**
     * SHA-256 (hex) of the manifest's JSON as {@link #write} gives it, taken as {@link PackageDigest#ofText} takes a
     * text: the same hash, without building the text, its bytes and a copy of them first. The resolver takes one for
     * every instance, where that copying was the larger part of resolving.
     */
    public static String digest(Manifest manifest) {
        java.security.MessageDigest sha256 = PackageDigest.sha256();
        try (java.io.OutputStream out = new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), sha256)) {
            Mapper.BYTE_WRITER.writeValue(out, manifest);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a manifest as JSON (this is a bug): " + e.getMessage(), e);
        }
        sha256.update((byte) '\n');
        sha256.update((byte) 0);
        return java.util.HexFormat.of().formatHex(sha256.digest());
    }

    /** {@link #digest} of the manifest that {@link #write} wrote as these bytes, taken from them. */
    public static String digestOfWritten(byte[] written) {
        java.security.MessageDigest sha256 = PackageDigest.sha256();
        sha256.update(written);
        sha256.update((byte) 0);
        return java.util.HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * Reads a manifest.
     *
     * @throws IOException when it is not a manifest this beckon can read; the message says why
     */
    public static Manifest read(byte[] json, String where) throws IOException {
        Manifest manifest;
        try {
            manifest = RecordJsonReader.read(json, Manifest.class);
        } catch (RecordJsonReader.MismatchException e) {
            // The parser's words may quote the file's own text, line breaks and all.
            throw new IOException(where + " is not a readable beckon manifest: " + dev.beckon.models.Messages.printable(e.getMessage()), e);
        }
        if (manifest.formatVersion() != Manifest.FORMAT_VERSION) {
            throw new IOException(where + " has manifest format " + manifest.formatVersion() + "; this beckon reads format "
                    + Manifest.FORMAT_VERSION);
        }
        return manifest;
    }
}
