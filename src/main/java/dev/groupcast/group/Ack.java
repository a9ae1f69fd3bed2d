package dev.groupcast.group;

/** A publish stored: its seq in the group's stream ({@code epoch}), and whether its key had been seen before. */
public record Ack(long seq, boolean duplicate, String epoch) {
}
