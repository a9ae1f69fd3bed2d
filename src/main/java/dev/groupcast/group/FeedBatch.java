package dev.groupcast.group;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;

/**
 * Sequenced messages of one group on their way from the node that appended them to each node with
 * members: the group, its epoch, and for each message its seq and its client frame, encoded once by
 * the publishing node and carried as bytes, so no node parses or re-encodes it. It travels on
 * {@code gc.feed.<node>} addresses only ({@link FeedBatch.Codec}), never on a group's own address.
 */
final class FeedBatch {

  final String group;
  final String epoch;
  final long[] seqs;
  /** When the publishing node accepted each message, for the delivery latency. */
  final long[] ts;
  final OutFrame[] frames;

  FeedBatch(String group, String epoch, long[] seqs, long[] ts, OutFrame[] frames) {
    this.group = group;
    this.epoch = epoch;
    this.seqs = seqs;
    this.ts = ts;
    this.frames = frames;
  }

  int size() {
    return seqs.length;
  }

  /** The wire form between nodes; on the node that sends it, the object itself is handed on. */
  static final class Codec implements MessageCodec<FeedBatch, FeedBatch> {

    static final String NAME = "groupcast-feed";

    @Override
    public void encodeToWire(Buffer buffer, FeedBatch b) {
      putString(buffer, b.group);
      putString(buffer, b.epoch);
      buffer.appendInt(b.seqs.length);
      for (int i = 0; i < b.seqs.length; i++) {
        Buffer utf8 = b.frames[i].utf8();
        buffer.appendLong(b.seqs[i]).appendLong(b.ts[i]).appendInt(utf8.length()).appendBuffer(utf8);
      }
    }

    @Override
    public FeedBatch decodeFromWire(int pos, Buffer buffer) {
      int[] at = {pos};
      String group = getString(buffer, at);
      String epoch = getString(buffer, at);
      int n = buffer.getInt(at[0]);
      at[0] += 4;
      long[] seqs = new long[n];
      long[] ts = new long[n];
      OutFrame[] frames = new OutFrame[n];
      for (int i = 0; i < n; i++) {
        seqs[i] = buffer.getLong(at[0]);
        ts[i] = buffer.getLong(at[0] + 8);
        int length = buffer.getInt(at[0] + 16);
        int start = at[0] + 20;
        frames[i] = OutFrame.shared(buffer.getBuffer(start, start + length));
        at[0] = start + length;
      }
      return new FeedBatch(group, epoch, seqs, ts, frames);
    }

    @Override
    public FeedBatch transform(FeedBatch b) {
      return b; // immutable
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }

    private static void putString(Buffer buffer, String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      buffer.appendInt(bytes.length).appendBytes(bytes);
    }

    private static String getString(Buffer buffer, int[] at) {
      int length = buffer.getInt(at[0]);
      String s = buffer.getString(at[0] + 4, at[0] + 4 + length, "UTF-8");
      at[0] += 4 + length;
      return s;
    }
  }
}
