using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>
/// The snapshot folder's lock (<see cref="SnapshotLock"/>): a file inside the snapshot folder that
/// only its writers can make, gone when released, exclusive even though each holder removes it.
/// </summary>
public class SnapshotLockTests
{
    [Fact]
    public void The_lock_is_a_private_file_inside_the_snapshot_folder_and_is_gone_once_released()
    {
        using var tree = new TestTree();
        var snapshots = Path.Combine(tree.Root, "snapshots");
        var file = Path.Combine(snapshots, SnapshotLock.FileName);
        using (SnapshotLock.Acquire(snapshots, TimeSpan.Zero))
        {
            Assert.True(File.Exists(file));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var held = Assert.Throws<IOException>(() => SnapshotLock.Acquire(snapshots, TimeSpan.FromMilliseconds(50)));
            Assert.Contains("another 'scenario approve' or run is writing", held.Message);
            if (OperatingSystem.IsLinux()) Assert.Contains("held by PID " + Environment.ProcessId, held.Message);
        }
        if (OperatingSystem.IsLinux()) Assert.False(File.Exists(file));
        using (SnapshotLock.Acquire(snapshots, TimeSpan.Zero)) { }
    }

    [Fact]
    public void Holders_that_remove_the_lock_file_as_they_let_go_still_exclude_each_other()
    {
        using var tree = new TestTree();
        var snapshots = Path.Combine(tree.Root, "snapshots");
        int inside = 0, most = 0, done = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                using var held = SnapshotLock.Acquire(snapshots, TimeSpan.FromSeconds(60));
                var now = Interlocked.Increment(ref inside);
                int seen;
                do { seen = most; } while (now > seen && Interlocked.CompareExchange(ref most, now, seen) != seen);
                Thread.Yield();
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref done);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(400, done);
        Assert.Equal(1, most);
    }

    [Fact]
    public void A_link_planted_at_the_locks_path_is_refused_not_followed()
    {
        using var tree = new TestTree();
        var snapshots = Path.Combine(tree.Root, "snapshots");
        Directory.CreateDirectory(snapshots);
        var victim = Path.Combine(tree.Root, "victim.txt");
        File.WriteAllText(victim, "mine");
        File.CreateSymbolicLink(Path.Combine(snapshots, SnapshotLock.FileName), victim);
        var e = Assert.Throws<IOException>(() => SnapshotLock.Acquire(snapshots, TimeSpan.Zero));
        Assert.Contains("is a link or not a regular file", e.Message);
        Assert.Equal("mine", File.ReadAllText(victim));
    }

    [Fact]
    public void A_lock_that_cannot_be_taken_says_why_with_project_paths()
    {
        using var tree = new TestTree();
        tree.Write("snapshots", "a file where the snapshot folder belongs");
        var layout = Model.ProjectLayout.For(Path.Combine(tree.Root, "scenarios", "t", "x.yaml"));
        var e = Assert.Throws<IOException>(() => SnapshotLock.Acquire(layout.SnapshotsRoot, TimeSpan.Zero, layout));
        Assert.StartsWith("the snapshot folder snapshots cannot be created, so its lock cannot be taken", e.Message);
        Assert.DoesNotContain(tree.Root, e.Message);
    }
}
