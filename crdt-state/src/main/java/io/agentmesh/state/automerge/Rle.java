package io.agentmesh.state.automerge;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads an Automerge RLE column (Automerge storage spec, "RLE"): repeated {@code sLEB count}; count &gt; 0: one
 * value repeated count times; count &lt; 0: -count literal values; count = 0: a uLEB number of nulls. Values are
 * uLEB integers (actor indexes, counters, actions), sLEB integers (the deltas of a delta column) or strings (uLEB
 * length and UTF-8 bytes). Runs are handled without expanding them, so a run that claims 2^62 repetitions costs
 * nothing until someone steps through it.
 */
final class Rle {
    enum Kind { ULEB, SLEB, STRING }

    private final ByteReader in;
    private final String column;
    private final Kind kind;
    /** Current run: how many values are left, whether they are nulls, whether it is a literal run. */
    private long left;
    private boolean nulls;
    private boolean literal;
    private long value;
    private long stepped;
    private boolean steppedNull;

    Rle(byte[] bytes, int from, int to, String column) {
        this(bytes, from, to, column, Kind.ULEB);
    }

    Rle(byte[] bytes, int from, int to, String column, Kind kind) {
        this.in = new ByteReader(bytes, from, to);
        this.column = column;
        this.kind = kind;
    }

    /** Loads the next run when the current one is used up. False at the end of the column. */
    boolean advance() {
        while (left == 0) {
            if (in.done()) {
                return false;
            }
            long count = in.sleb(column + " run length");
            if (count > 0) {
                left = count;
                nulls = false;
                literal = false;
                value = readValue();
            } else if (count < 0) {
                if (count == Long.MIN_VALUE || -count > in.remaining()) {
                    throw ByteReader.malformed(column + " has a literal run of " + -count
                            + " values in " + in.remaining() + " bytes");
                }
                left = -count;
                nulls = false;
                literal = true;
                value = readValue();
            } else {
                left = in.uleb(column + " null run length");
                if (left < 0) {
                    throw ByteReader.malformed(column + " null run is longer than 2^63");
                }
                nulls = true;
                literal = false;
            }
        }
        return true;
    }

    private long readValue() {
        return switch (kind) {
            case ULEB -> in.uleb(column + " value");
            case SLEB -> in.sleb(column + " value");
            case STRING -> {
                byte[] utf8 = in.take(in.uleb(column + " string length", in.remaining()), column + " string");
                try {
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8));
                } catch (CharacterCodingException e) {
                    throw ByteReader.malformed(column + " holds a string that is not UTF-8");
                }
                yield utf8.length;
            }
        };
    }

    /** Values of the same kind that can be consumed at once (literal runs go one by one). */
    long available() {
        return literal ? 1 : left;
    }

    boolean isNull() {
        return nulls;
    }

    /** The current value (for strings: the byte length). */
    long value() {
        return value;
    }

    /** Uses {@code n <= available()} values of the current run. */
    void consume(long n) {
        left -= n;
        if (literal && left > 0) {
            value = readValue();
        }
    }

    /** Moves to the next single value; false at the end of the column. Then see {@link #steppedNull()}. */
    boolean step() {
        if (!advance()) {
            return false;
        }
        steppedNull = nulls;
        stepped = value;
        consume(1);
        return true;
    }

    boolean steppedNull() {
        return steppedNull;
    }

    long stepped() {
        return stepped;
    }
}
