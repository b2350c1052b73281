package org.exmerge.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The pieces of a SentencePiece {@code tokenizer.model}, read from its protobuf by hand (no protobuf library). */
final class SentencePieceModel {
    private SentencePieceModel() {}

    /**
     * A SentencePiece ModelProto's pieces (field 1, each a message whose field 1 is the piece), a piece's
     * id its index; every other field, of either message, is skipped by its wire type.
     */
    static List<String> pieces(Path file) throws IOException {
        List<String> vocab = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input rather than replacing it
        Proto model = new Proto(file, bytes, 0, bytes.length);
        while (model.more()) {
            int at = model.pos;
            long key = model.varint();
            if (key >>> 3 != 1) {
                model.skip(key, at);
                continue;
            }
            if ((key & 7) != 2) {
                throw model.bad("piece " + vocab.size() + " has wire type " + (key & 7) + " at byte " + at);
            }
            int end = model.lengthEnd();
            Proto piece = new Proto(file, bytes, model.pos, end);
            String text = null;
            while (piece.more()) {
                int fieldAt = piece.pos;
                long k = piece.varint();
                if (k == (1 << 3 | 2)) {
                    int textEnd = piece.lengthEnd();
                    try {
                        text = utf8.decode(ByteBuffer.wrap(bytes, piece.pos, textEnd - piece.pos)).toString();
                    } catch (CharacterCodingException e) {
                        throw model.bad("piece " + vocab.size() + " is not UTF-8");
                    }
                    piece.pos = textEnd;
                } else {
                    piece.skip(k, fieldAt);
                }
            }
            // sentencepiece refuses such a model too
            if (text == null || text.isEmpty()) {
                throw model.bad("piece " + vocab.size() + " is empty");
            }
            vocab.add(text);
            model.pos = end;
        }
        return vocab;
    }

    /** A reader of protobuf wire format over bytes[pos, limit). */
    private static final class Proto {
        final Path file;
        final byte[] bytes;
        final int limit;
        int pos;

        Proto(Path file, byte[] bytes, int pos, int limit) {
            this.file = file;
            this.bytes = bytes;
            this.pos = pos;
            this.limit = limit;
        }

        boolean more() {
            return pos < limit;
        }

        long varint() throws IOException {
            int at = pos;
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= limit) {
                    throw bad("truncated varint at byte " + at);
                }
                byte b = bytes[pos++];
                v |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return v;
                }
            }
            throw bad("varint over 10 bytes at byte " + at);
        }

        /** Reads a length and returns where the bytes it counts end. */
        int lengthEnd() throws IOException {
            int at = pos;
            long n = varint();
            if (n < 0 || n > limit - pos) {
                throw bad("length " + Long.toUnsignedString(n) + " at byte " + at + " runs past the end");
            }
            return pos + (int) n;
        }

        /** Skips the value of the field whose key (read at byte at) was key. */
        void skip(long key, int at) throws IOException {
            if (key >>> 3 == 0) {
                throw bad("field number 0 at byte " + at);
            }
            switch ((int) (key & 7)) {
                case 0 -> varint();
                case 1 -> fixed(8);
                case 2 -> pos = lengthEnd();
                case 5 -> fixed(4);
                default -> throw bad("wire type " + (key & 7) + " at byte " + at);
            }
        }

        private void fixed(int n) throws IOException {
            if (limit - pos < n) {
                throw bad("truncated " + n + "-byte value at byte " + pos);
            }
            pos += n;
        }

        IOException bad(String why) {
            return new IOException(file + ": not a SentencePiece model: " + why);
        }
    }
}
