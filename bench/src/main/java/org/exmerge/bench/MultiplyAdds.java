package org.exmerge.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Multiply-adds a benchmark did: JMH reports their rate beside the operations per second. */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class MultiplyAdds {
    public long multiplyAdds;

    @Setup(Level.Iteration)
    public void reset() {
        multiplyAdds = 0;
    }
}
