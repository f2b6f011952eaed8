package io.bulwark.lock.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockCommand;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Example;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random scripts of acquires, renewals, releases, abandons and ticks on four locks (one per kind), checked
 * step by step against a model of the contract: compatible holders only, tokens strictly increasing, FIFO
 * grants, no grant after a wait ended, no holder past its lease, holders exactly as the events say, and
 * nothing left once everyone has gone. A failing script is shrunk by jqwik and replays from its seed.
 */
class LockStateMachinePropertiesTest {

    private static final LockName[] LOCKS = {LockName.of("ex"), LockName.of("fair"), LockName.of("rw"),
            LockName.of("sem")};
    private static final int CAPACITY = 3;

    /** One scripted step; fields are interpreted modulo what they select. */
    record Op(int kind, int lock, int target, int variant, int amount) {
    }

    @Provide
    Arbitrary<List<Op>> scripts() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 50), Arbitraries.integers().between(0, 50),
                Arbitraries.integers().between(0, 400)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 400)
    void everyStepKeepsTheContract(@ForAll("scripts") List<Op> script) {
        new ScriptRun(script, true).run();
    }

    /** Found by the property above (seed 6132122645783074302): the head waiter of a semaphore leaves, the next is granted. */
    @Example
    void aWaiterBehindAnAbandonedHeadIsGrantedInOrder() {
        new ScriptRun(List.of(new Op(0, 3, 0, 0, 3), new Op(0, 3, 0, 2, 2), new Op(0, 3, 0, 1, 1),
                new Op(4, 3, 1, 0, 0)), true).run();
    }

    /** Found by the property above (seed -8820616314240046287): a holder's lease ends as a waiter releases. */
    @Example
    void aWaiterGrantedByAnExpiryInTheSameStepCanReleaseAtOnce() {
        new ScriptRun(List.of(new Op(0, 1, 0, 0, 1), new Op(0, 1, 0, 1, 2), new Op(3, 1, 1, 1, 0)), true).run();
    }

    @Property(tries = 150)
    void theSameScriptGivesEqualOutputs(@ForAll("scripts") List<Op> script) {
        assertThat(new ScriptRun(script, false).run()).isEqualTo(new ScriptRun(script, false).run());
    }

    /** Drives one machine through a script, checking the model after every step. */
    private static final class ScriptRun {
        private final List<Op> script;
        private final boolean check;
        private final LockStateMachine machine = new LockStateMachine();
        private final List<Ready> outputs = new ArrayList<>();
        private final List<List<OwnerId>> issued = new ArrayList<>();
        private final Map<OwnerId, Integer> lockOf = new HashMap<>();
        private final Map<OwnerId, Long> waitDeadline = new HashMap<>();
        private final List<LinkedList<OwnerId>> queues = new ArrayList<>();
        private final List<Set<OwnerId>> holders = new ArrayList<>();
        private final Map<OwnerId, LockMode> modeOf = new HashMap<>();
        /** Waiters whose abandon the model applied before the grants it made possible. */
        private final Set<OwnerId> leftQueue = new HashSet<>();
        private long now;
        private long sequence;
        private long lastToken;

        ScriptRun(List<Op> script, boolean check) {
            this.script = script;
            this.check = check;
            for (int i = 0; i < LOCKS.length; i++) {
                issued.add(new ArrayList<>());
                queues.add(new LinkedList<>());
                holders.add(new HashSet<>());
            }
        }

        List<Ready> run() {
            for (Op op : script) {
                now += op.variant() % 20;
                step(op);
            }
            // Everyone leaves; far in the future every lease and wait has ended: nothing may remain.
            for (int lock = 0; lock < LOCKS.length; lock++) {
                for (OwnerId owner : List.copyOf(issued.get(lock))) {
                    apply(new AbandonRequest(LOCKS[lock], owner), lock, owner, 0);
                }
            }
            Ready last = machine.tick(now += 1_000_000);
            observe(last, null, -1, null, 0);
            if (check) {
                assertThat(machine.lockCount()).as("names still tracked after everyone left").isZero();
                assertThat(machine.nextDeadlineNanos()).isEmpty();
            }
            return outputs;
        }

        private void step(Op op) {
            int lock = op.lock();
            List<OwnerId> known = issued.get(lock);
            switch (op.kind()) {
                case 0:
                case 1: {
                    OwnerId owner = new OwnerId("p", ++sequence);
                    known.add(owner);
                    lockOf.put(owner, lock);
                    LockMode mode = mode(lock, op.variant());
                    modeOf.put(owner, mode);
                    long wait = op.variant() % 3 == 0 ? 0 : op.amount() % 300;
                    apply(new AcquireRequest(LOCKS[lock], owner, mode, 1 + op.amount() % 200, wait), lock, owner, wait);
                    break;
                }
                case 2:
                    if (!known.isEmpty()) {
                        OwnerId owner = known.get(op.target() % known.size());
                        apply(new RenewRequest(LOCKS[lock], owner, 1 + op.amount() % 200), lock, owner, 0);
                    }
                    break;
                case 3:
                    if (!known.isEmpty()) {
                        OwnerId owner = known.get(op.target() % known.size());
                        apply(new ReleaseRequest(LOCKS[lock], owner), lock, owner, 0);
                    }
                    break;
                case 4:
                    if (!known.isEmpty()) {
                        OwnerId owner = known.get(op.target() % known.size());
                        apply(new AbandonRequest(LOCKS[lock], owner), lock, owner, 0);
                    }
                    break;
                default:
                    now += op.amount() % 150;
                    observe(machine.tick(now), null, -1, null, 0);
            }
        }

        private static LockMode mode(int lock, int variant) {
            switch (lock) {
                case 0:
                    return LockMode.exclusive();
                case 1:
                    return LockMode.fair();
                case 2:
                    return variant % 2 == 0 ? LockMode.read() : LockMode.write();
                default:
                    return LockMode.semaphore(1 + variant % CAPACITY, CAPACITY);
            }
        }

        private void apply(LockCommand command, int lock, OwnerId owner, long wait) {
            observe(machine.apply(now, command), command, lock, owner, wait);
        }

        private void observe(Ready ready, LockCommand command, int lock, OwnerId owner, long wait) {
            outputs.add(ready);
            if (!check) {
                return;
            }
            // Events of the step happened before the command's reply, except the consequences of a release or
            // abandon (grants), which the model handles in either order — and a waiter that abandons leaves the
            // queue first, since the grants behind it follow from its leaving.
            LockEvent reply = ready.reply().orElse(null);
            if (reply instanceof LockEvent.Abandoned a && a.wasWaiting() && queues.get(lock).remove(owner)) {
                leftQueue.add(owner);
            }
            for (LockEvent event : ready.events()) {
                apply(event);
            }
            if (reply != null) {
                reply(reply, command, lock, owner, wait);
            }
            checkState();
        }

        private void reply(LockEvent reply, LockCommand command, int lock, OwnerId owner, long wait) {
            assertThat(reply.owner()).isEqualTo(owner);
            if (reply instanceof LockEvent.Queued) {
                assertThat(command).isInstanceOf(AcquireRequest.class);
                assertThat(wait).as("queued with a zero wait").isPositive();
                queues.get(lock).addLast(owner);
                waitDeadline.put(owner, now + wait);
            } else if (reply instanceof LockEvent.Renewed) {
                assertThat(holders.get(lock)).as("renewed a non-holder").contains(owner);
            } else if (reply instanceof LockEvent.NotHeld) {
                assertThat(holders.get(lock)).as("refused a holder").doesNotContain(owner);
            }
            apply(reply);
        }

        private void apply(LockEvent event) {
            OwnerId owner = event.owner();
            int lock = lockOf.get(owner);
            if (event instanceof LockEvent.Granted granted) {
                assertThat(granted.fencingToken()).as("token order").isGreaterThan(lastToken);
                lastToken = granted.fencingToken();
                LinkedList<OwnerId> queue = queues.get(lock);
                if (queue.contains(owner)) {
                    assertThat(queue.getFirst()).as("FIFO: granted from the queue out of order").isEqualTo(owner);
                    queue.removeFirst();
                    assertThat(granted.grantedAtNanos()).as("granted after its wait ended")
                            .isLessThan(waitDeadline.get(owner));
                }
                assertThat(holders.get(lock).add(owner)).isTrue();
            } else if (event instanceof LockEvent.WaitElapsed) {
                if (queues.get(lock).remove(owner)) {
                    assertThat(waitDeadline.get(owner)).as("wait ended early").isLessThanOrEqualTo(now);
                }
            } else if (event instanceof LockEvent.Released || event instanceof LockEvent.Expired) {
                assertThat(holders.get(lock).remove(owner)).as("%s of a non-holder", event).isTrue();
            } else if (event instanceof LockEvent.Abandoned abandoned) {
                if (abandoned.wasHolding()) {
                    assertThat(holders.get(lock).remove(owner)).isTrue();
                }
                if (abandoned.wasWaiting()) {
                    assertThat(queues.get(lock).remove(owner) || leftQueue.remove(owner)).isTrue();
                }
            }
        }

        private void checkState() {
            for (int lock = 0; lock < LOCKS.length; lock++) {
                LockInfo info = machine.describe(LOCKS[lock], now);
                Set<String> described = new TreeSet<>();
                int permits = 0;
                int writers = 0;
                for (LockInfo.Holder holder : info.holders()) {
                    described.add(holder.owner());
                    permits += holder.mode().permits();
                    writers += holder.mode() instanceof LockMode.Write ? 1 : 0;
                    assertThat(holder.remainingLease().toNanos()).as("holder past its lease").isPositive();
                }
                Set<String> modelled = new TreeSet<>();
                holders.get(lock).forEach(owner -> modelled.add(owner.toString()));
                assertThat(described).as("holders of %s", LOCKS[lock]).isEqualTo(modelled);
                assertThat(info.waiting()).as("waiters of %s", LOCKS[lock]).isEqualTo(queues.get(lock).size());
                switch (lock) {
                    case 0:
                    case 1:
                        assertThat(info.holders()).hasSizeLessThanOrEqualTo(1);
                        break;
                    case 2:
                        assertThat(writers == 0 || info.holders().size() == 1).as("writer not alone").isTrue();
                        break;
                    default:
                        assertThat(permits).isLessThanOrEqualTo(CAPACITY);
                }
            }
        }
    }
}
