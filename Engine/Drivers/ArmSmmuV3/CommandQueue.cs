using ScenarioEngine.Hardware;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>CMDQ_OP_* (arm-smmu-v3.h): the commands this model issues.</summary>
internal enum CmdOp : byte
{
    PrefetchCfg = 0x1, CfgiSte = 0x3, CfgiCd = 0x5,
    TlbiNhAsid = 0x11, TlbiNhVa = 0x12, TlbiEl2Asid = 0x21, TlbiEl2Va = 0x22,
    AtcInv = 0x40, CmdSync = 0x46,
}

/// <summary>struct arm_smmu_cmdq_ent: the fields the modelled opcodes use.</summary>
internal record struct CmdqEnt(CmdOp Op)
{
    public uint Sid;
    public uint Ssid;
    public bool Leaf;
    public ushort Asid;
    public byte Num, Scale, Ttl, Tg;
    public ulong Addr;
    /// <summary>ATC_INV: SSV (a substream), and the span as log2 of 4 KiB pages (ATC_INV_SIZE_ALL = 52: everything).</summary>
    public bool Ssv;
    public byte Size;

    /// <summary>ATC_INV_SIZE_ALL.</summary>
    public const byte AtcSizeAll = 52;

    /// <summary>arm_smmu_cmdq_build_cmd: the two qwords (CMDQ_0_OP, CMDQ_CFGI_*, CMDQ_TLBI_*, CMDQ_SYNC_*).</summary>
    public readonly (ulong Dw0, ulong Dw1) Build()
    {
        ulong d0 = (ulong)Op, d1 = 0;
        switch (Op)
        {
            case CmdOp.PrefetchCfg:
                d0 |= (ulong)Sid << 32;
                break;
            case CmdOp.CfgiCd:
                d0 |= (ulong)(Ssid & 0xfffff) << 12;
                goto case CmdOp.CfgiSte;
            case CmdOp.CfgiSte:
                d0 |= (ulong)Sid << 32;
                d1 |= Leaf ? 1UL : 0;
                break;
            case CmdOp.TlbiNhVa:
            case CmdOp.TlbiEl2Va:
                // NH_VA adds VMID (0 here: stage-1 domains have none); both take NUM, SCALE, ASID, LEAF, TTL, TG and the address
                d0 |= ((ulong)(Num & 0x1f) << 12) | ((ulong)(Scale & 0x1f) << 20) | ((ulong)Asid << 48);
                d1 |= (Leaf ? 1UL : 0) | ((ulong)(Ttl & 3) << 8) | ((ulong)(Tg & 3) << 10) | (Addr & ~0xfffUL);
                break;
            case CmdOp.TlbiNhAsid:
            case CmdOp.TlbiEl2Asid:
                d0 |= (ulong)Asid << 48;
                break;
            case CmdOp.AtcInv:
                // CMDQ_0_SSV, CMDQ_ATC_0_SSID / _SID, CMDQ_ATC_1_SIZE, CMDQ_ATC_1_ADDR_MASK (GLOBAL is never set)
                d0 |= (Ssv ? 1UL << 11 : 0) | ((ulong)(Ssid & 0xfffff) << 12) | ((ulong)Sid << 32);
                d1 |= (ulong)Size & 0x3f | (Addr & ~0xfffUL);
                break;
            case CmdOp.CmdSync:
                // CS = SEV (no MSI polling), MSH = inner shareable, MSIATTR = OIWB
                d0 |= (2UL << 12) | (3UL << 22) | (0xfUL << 24);
                break;
        }
        return (d0, d1);
    }

    public readonly string Name => Op switch
    {
        CmdOp.PrefetchCfg => "PREFETCH_CFG", CmdOp.CfgiSte => "CFGI_STE", CmdOp.CfgiCd => "CFGI_CD",
        CmdOp.TlbiNhAsid => "TLBI_NH_ASID", CmdOp.TlbiNhVa => "TLBI_NH_VA", CmdOp.TlbiEl2Asid => "TLBI_EL2_ASID",
        CmdOp.TlbiEl2Va => "TLBI_EL2_VA", CmdOp.AtcInv => "ATC_INV", CmdOp.CmdSync => "CMD_SYNC", _ => $"0x{(int)Op:x2}",
    };

    public readonly string Text => Op switch
    {
        CmdOp.PrefetchCfg => $"PREFETCH_CFG sid 0x{Sid:x}",
        CmdOp.CfgiSte => $"CFGI_STE sid 0x{Sid:x}{(Leaf ? " leaf" : "")}",
        CmdOp.CfgiCd => $"CFGI_CD sid 0x{Sid:x} ssid {Ssid}{(Leaf ? " leaf" : "")}",
        CmdOp.TlbiNhAsid or CmdOp.TlbiEl2Asid => $"{Name} asid {Asid}",
        CmdOp.TlbiNhVa or CmdOp.TlbiEl2Va => $"{Name} asid {Asid} va 0x{Addr & ~0xfffUL:x}{(Leaf ? " leaf" : "")}"
            + (Tg != 0 ? $" tg {Tg} ttl {Ttl} scale {Scale} num {Num}" : ""),
        CmdOp.AtcInv => Size == AtcSizeAll ? $"ATC_INV sid 0x{Sid:x} all" : $"ATC_INV sid 0x{Sid:x} addr 0x{Addr & ~0xfffUL:x} size {Size}",
        CmdOp.CmdSync => "CMD_SYNC cs=sev",
        _ => Name,
    };
}

/// <summary>
/// The command queue as the driver fills it (arm_smmu_cmdq_issue_cmdlist, arm_smmu_cmdq_batch_add /
/// _submit): commands in the order the driver inserts them, a CMD_SYNC after a list issued with sync,
/// a batch of CMDQ_BATCH_ENTRIES (64 on arm64) issued without sync when full and with one at submit.
/// The SMMU consumes every command at once (the model has no concurrency and no timeouts; a CMD_SYNC
/// completes immediately), so what a command invalidates is gone when it is inserted. The log keeps
/// the last <see cref="Kept"/> commands for iommu:commands(); older ones are counted.
/// Not modelled: queue wrap and full-queue waits, MSI-based sync polling (CS=IRQ), errors (CERROR),
/// ARM_SMMU_OPT_CMDQ_FORCE_SYNC (the MMU-700 erratum option), secondary queues (Tegra241 CMDQV).
/// </summary>
internal sealed class CommandQueue
{
    public const int Kept = 4096; // a power of two: the ring's index is masked

    private readonly CmdqEnt[] _ring = new CmdqEnt[Kept];
    private int _head, _count;

    internal void Insert(in CmdqEnt e)
    {
        _ring[(_head + _count) & (Kept - 1)] = e;
        if (_count < Kept) _count++;
        else _head = (_head + 1) & (Kept - 1);
    }

    /// <summary>The CMD_SYNC that ends a list issued with sync (it completes at once here).</summary>
    internal void InsertSync() => Insert(new CmdqEnt(CmdOp.CmdSync));

    /// <summary>arm_smmu_cmdq_issue_cmdlist(cmds, n, sync).</summary>
    public void IssueList(ReadOnlySpan<CmdqEnt> cmds, bool sync)
    {
        foreach (ref readonly var c in cmds) Insert(c);
        if (sync) InsertSync();
    }

    /// <summary>arm_smmu_cmdq_issue_cmd / _with_sync.</summary>
    public void Issue(in CmdqEnt cmd, bool sync) => IssueList([cmd], sync);

    /// <summary>The kept commands, oldest first, then forgotten.</summary>
    public IReadOnlyList<QueuedCommand> Take()
    {
        var list = new List<QueuedCommand>(_count);
        for (int i = 0; i < _count; i++)
        {
            var e = _ring[(_head + i) % Kept];
            var (d0, d1) = e.Build();
            list.Add(new QueuedCommand(e.Name, e.Text, d0, d1));
        }
        _head = _count = 0;
        return list;
    }
}

/// <summary>
/// struct arm_smmu_cmdq_batch: up to 64 commands, issued without sync when full and with one CMD_SYNC at
/// submit. A full batch carries no sync and the SMMU consumes at once here, so inserting each command
/// as it is added gives the same queue as collecting 64 first: the batch holds nothing.
/// </summary>
internal sealed class CmdqBatch(CommandQueue q)
{
    public void Add(in CmdqEnt cmd) => q.Insert(cmd);

    /// <summary>arm_smmu_cmdq_batch_submit: the list issued with sync.</summary>
    public void Submit() => q.InsertSync();
}
