package dev.groupcast.group;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Consecutive messages of one group, dispatched together (a fan-out batch's messages that were next in
 * line): a member whose stream stands before all of them gets them in one write rather than one per
 * message, since on a busy group each write's cost in Netty (a buffer duplicate, an outbound entry,
 * a reference count touched per member) was a third of what the nodes spent. Like {@link OutFrame},
 * built once per node and shared by every member; its transport form too ({@link #wire}).
 */
public final class FrameRun {

  private final long[] seqs;
  private final OutFrame[] frames;
  private final int size;
  /** All the frames' transport form back to back (e.g. WebSocket frames), built on first use. */
  private volatile ByteBuf wire;

  private FrameRun(long[] seqs, OutFrame[] frames, int size) {
    this.seqs = seqs;
    this.frames = frames;
    this.size = size;
  }

  public int size() {
    return size;
  }

  public OutFrame frame(int i) {
    return frames[i];
  }

  long seq(int i) {
    return seqs[i];
  }

  long lastSeq() {
    return seqs[size - 1];
  }

  /**
   * The run as the transport puts it on the wire, built by {@code framing} on first use and kept, so
   * the run is framed once per node; two threads racing to build it build the same bytes.
   */
  public ByteBuf wire(Function<FrameRun, ByteBuf> framing) {
    ByteBuf bytes = wire;
    if (bytes == null) {
      bytes = framing.apply(this);
      wire = bytes;
    }
    return bytes;
  }

  /** Collects a run in seq order, on the feed's thread. */
  static final class Builder {

    private long[] seqs;
    private OutFrame[] frames;
    private int size;

    Builder(int expected) {
      seqs = new long[Math.max(expected, 1)];
      frames = new OutFrame[seqs.length];
    }

    void add(long seq, OutFrame frame) {
      if (size == seqs.length) {
        seqs = Arrays.copyOf(seqs, size * 2);
        frames = Arrays.copyOf(frames, size * 2);
      }
      seqs[size] = seq;
      frames[size] = frame;
      size++;
    }

    int size() {
      return size;
    }

    long seq(int i) {
      return seqs[i];
    }

    OutFrame frame(int i) {
      return frames[i];
    }

    FrameRun build() {
      return new FrameRun(seqs, frames, size);
    }
  }
}
