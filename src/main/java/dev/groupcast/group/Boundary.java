package dev.groupcast.group;

/** Where a node's feed of a group started or stands: the stream's epoch and its last seq. */
record Boundary(String epoch, long lastSeq) {
}
