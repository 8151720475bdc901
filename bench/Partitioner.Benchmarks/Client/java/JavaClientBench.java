// The same scenarios as ClientBench.cs, run with ZooKeeper's own Java client (3.8.0) against the same server,
// so that the two clients are compared side by side on the same machine at the same time.
// Prints one line per scenario: RESULT <tab> name <tab> ops <tab> each counted repetition's ms, comma-separated.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public final class JavaClientBench {
    private static final int BATCH_SIZE = 250;
    private static final int BATCHED_OPS = 5000;
    private static final byte[] EMPTY = new byte[0];

    interface Step { void run(String root) throws Exception; }

    private static ZooKeeper zk;
    private static int run;

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        int count = Integer.parseInt(args[1]);
        int repetitions = Integer.parseInt(args[2]);
        CountDownLatch connected = new CountDownLatch(1);
        zk = new ZooKeeper(connect, 20000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        connected.await();
        if (args.length > 3 && args[3].equals("floor")) {
            // Only the partitioner benchmark's floor: count items, each a folder and an ephemeral sequential lock node.
            scenario("floor", 2 * count, repetitions, r -> zk.create(r + "/locks", EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT), r -> floor(r, count));
            zk.close();
            return;
        }
        scenario("create, serial", count, repetitions, r -> { }, r -> createSerial(r, count));
        scenario("get-children, serial", count, repetitions, r -> createPipelined(r, 10), r -> getChildrenSerial(r, count));
        scenario("delete, serial", count, repetitions, r -> createPipelined(r, count), r -> deleteSerial(r, count));
        scenario("create, pipelined", count, repetitions, r -> { }, r -> createPipelined(r, count));
        scenario("get-children, pipelined", count, repetitions, r -> createPipelined(r, 10), r -> getChildrenPipelined(r, count));
        scenario("delete, pipelined", count, repetitions, r -> createPipelined(r, count), r -> deletePipelined(r, count));
        scenario("mixed, single pipelined", 2 * BATCHED_OPS, repetitions, JavaClientBench::makeLockParents, JavaClientBench::mixedPipelined);
        scenario("mixed, multi/multiRead", 2 * BATCHED_OPS, repetitions, JavaClientBench::makeLockParents, JavaClientBench::mixedBatched);
        zk.close();
    }

    private static void scenario(String name, int ops, int repetitions, Step prepare, Step body) throws Exception {
        List<Double> timings = new ArrayList<>();
        for (int rep = 0; rep < repetitions + 1; rep++) {
            String root = "/bench-java-" + ProcessHandle.current().pid() + "-" + (run++);
            zk.create(root, EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            prepare.run(root);
            long start = System.nanoTime();
            body.run(root);
            double ms = (System.nanoTime() - start) / 1e6;
            if (rep > 0) timings.add(ms);
            ZKUtil.deleteRecursive(zk, root);
        }
        StringBuilder line = new StringBuilder("RESULT\t" + name + "\t" + ops + "\t");
        for (int i = 0; i < timings.size(); i++) line.append(i == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.3f", timings.get(i)));
        System.out.println(line);
    }

    private static void createSerial(String root, int count) throws Exception {
        for (int i = 0; i < count; i++) zk.create(root + "/n" + i, EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    }

    private static void createPipelined(String root, int count) throws Exception {
        Waiter w = new Waiter(count);
        for (int i = 0; i < count; i++) zk.create(root + "/n" + i, EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, (rc, p, c, n) -> w.done(rc), null);
        w.await();
    }

    private static void getChildrenSerial(String root, int count) throws Exception {
        for (int i = 0; i < count; i++) zk.getChildren(root, false);
    }

    private static void getChildrenPipelined(String root, int count) throws Exception {
        Waiter w = new Waiter(count);
        for (int i = 0; i < count; i++) zk.getChildren(root, false, (rc, p, c, ch) -> w.done(rc), null);
        w.await();
    }

    private static void deleteSerial(String root, int count) throws Exception {
        for (int i = 0; i < count; i++) zk.delete(root + "/n" + i, -1);
    }

    private static void deletePipelined(String root, int count) throws Exception {
        Waiter w = new Waiter(count);
        for (int i = 0; i < count; i++) zk.delete(root + "/n" + i, -1, (rc, p, c) -> w.done(rc), null);
        w.await();
    }

    private static List<String> lockParents(String root) {
        List<String> parents = new ArrayList<>();
        for (int i = 0; i < BATCHED_OPS; i++) parents.add(root + "/item" + i);
        return parents;
    }

    private static void makeLockParents(String root) throws Exception {
        List<String> parents = lockParents(root);
        for (int i = 0; i < parents.size(); i += BATCH_SIZE) {
            List<Op> ops = new ArrayList<>();
            for (String p : parents.subList(i, Math.min(i + BATCH_SIZE, parents.size()))) ops.add(Op.create(p, EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
            zk.multi(ops);
        }
    }

    private static void mixedPipelined(String root) throws Exception {
        List<String> parents = lockParents(root);
        Waiter w = new Waiter(2 * parents.size());
        for (String p : parents) zk.create(p + "/c__lock__", EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL, (rc, x, c, n) -> w.done(rc), null);
        for (String p : parents) zk.getChildren(p, false, (rc, x, c, ch) -> w.done(rc), null);
        w.await();
    }

    private static void mixedBatched(String root) throws Exception {
        List<String> parents = lockParents(root);
        int batches = (parents.size() + BATCH_SIZE - 1) / BATCH_SIZE;
        Waiter w = new Waiter(2 * batches);
        for (int i = 0; i < parents.size(); i += BATCH_SIZE) {
            List<Op> ops = new ArrayList<>();
            for (String p : parents.subList(i, Math.min(i + BATCH_SIZE, parents.size()))) ops.add(Op.create(p + "/c__lock__", EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));
            zk.multi(ops, (rc, x, c, results) -> w.done(rc), null);
        }
        for (int i = 0; i < parents.size(); i += BATCH_SIZE) {
            List<Op> ops = new ArrayList<>();
            for (String p : parents.subList(i, Math.min(i + BATCH_SIZE, parents.size()))) ops.add(Op.getChildren(p));
            zk.multi(ops, (rc, x, c, results) -> w.done(rc), null);
        }
        w.await();
    }

    // A first allocation's creates as the partitioner sends them: per item its folder and this member's lock node in
    // it, in multis of 250 ops (125 items), every multi sent before any answer is awaited.
    private static void floor(String root, int count) throws Exception {
        final int itemsPerMulti = BATCH_SIZE / 2;
        byte[] data = "memory".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Waiter w = new Waiter((count + itemsPerMulti - 1) / itemsPerMulti);
        for (int first = 0; first < count; first += itemsPerMulti) {
            List<Op> ops = new ArrayList<>(2 * itemsPerMulti);
            for (int i = first; i < Math.min(count, first + itemsPerMulti); i++) {
                String folder = root + "/locks/" + i;
                ops.add(Op.create(folder, EMPTY, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
                ops.add(Op.create(folder + "/0123456789abcdef0123456789abcdef__lock__", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));
            }
            zk.multi(ops, (rc, x, c, results) -> w.done(rc), null);
        }
        w.await();
    }

    /** Counts completions and remembers the first failure. */
    private static final class Waiter {
        private final CountDownLatch latch;
        private final AtomicReference<Integer> failure = new AtomicReference<>();
        Waiter(int count) { latch = new CountDownLatch(count); }
        void done(int rc) { if (rc != 0) failure.compareAndSet(null, rc); latch.countDown(); }
        void await() throws Exception {
            latch.await();
            if (failure.get() != null) throw new IllegalStateException("a request failed with code " + failure.get());
        }
    }
}
