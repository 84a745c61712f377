package dev.beckon.models;

/**
 * A service's warm state ({@code [services.X.state]}): a memory-mapped region of {@code size} bytes that beckon
 * makes on each target the service runs on and hands it in {@code BECKON_STATE}; it outlives the process.
 */
public record WarmStateSpec(long size) {}
