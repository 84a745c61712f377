package dev.beckon.activation;

/**
 * One file, or one entry of a shared file, exactly as a module would write it.
 *
 * @param name what it is called where the module puts it: a unit file name, {@code inetd.conf}, a
 *     launcher's name; enough for a plan or a diff to say what changes
 * @param executable whether the file is a program (a launcher script)
 */
public record RenderedFile(String name, String content, boolean executable) {}
