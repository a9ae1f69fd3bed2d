package dev.groupcast.proxy;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Consistent hashing: each backend owns {@value #POINTS_PER_BACKEND} points on a 64-bit ring and a key
 * goes to the owner of the first point at or after the key's hash. Adding or removing one of N
 * backends moves about 1/N of the keys; an unusable owner is skipped clockwise, so its keys spread
 * over the others while the rest stay put.
 */
final class HashRing {

  static final int POINTS_PER_BACKEND = 160;

  private final long[] points;
  private final Backend[] owners;

  HashRing(List<Backend> backends) {
    int n = backends.size() * POINTS_PER_BACKEND;
    long[] hashes = new long[n];
    Backend[] byPoint = new Backend[n];
    Integer[] order = new Integer[n];
    int i = 0;
    for (Backend b : backends) {
      for (int v = 0; v < POINTS_PER_BACKEND; v++, i++) {
        hashes[i] = hash(b.key() + "#" + v);
        byPoint[i] = b;
        order[i] = i;
      }
    }
    Arrays.sort(order, (a, c) -> Long.compare(hashes[a], hashes[c]));
    points = new long[n];
    owners = new Backend[n];
    for (int k = 0; k < n; k++) {
      points[k] = hashes[order[k]];
      owners[k] = byPoint[order[k]];
    }
  }

  /** The owner of the key, or the next usable backend clockwise; null when none is usable. */
  Backend pick(String key, Predicate<Backend> usable) {
    if (points.length == 0) {
      return null;
    }
    int idx = Arrays.binarySearch(points, hash(key));
    if (idx < 0) {
      idx = -idx - 1;
    }
    for (int step = 0; step < points.length; step++) {
      Backend b = owners[(idx + step) % points.length];
      if (usable.test(b)) {
        return b;
      }
    }
    return null;
  }

  /** FNV-1a over the UTF-16 code units, then MurmurHash3's 64-bit finalizer for a good spread. */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
