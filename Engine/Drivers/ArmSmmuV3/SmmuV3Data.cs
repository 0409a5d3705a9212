using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// struct arm_smmu_device: the stream table (linear, or 2-level with level-2 tables allocated as
/// masters appear: arm_smmu_init_l2_strtab), the SID tree (smmu->streams), the command queue and the
/// TLB. Every STE starts as abort (arm_smmu_init_initial_stes). The tables take no memory in the model
/// (their STEs are kept per stream ID); CD tables do (the STE points at them).
/// </summary>
internal sealed class SmmuV3Data
{
    public SmmuV3Data(IommuInstance inst)
    {
        Inst = inst;
        Cfg = SmmuV3Config.Of(inst);
        Tlb = new Iotlb(inst.Iotlb);
        Cmdq = new CommandQueue();
        Batch = new CmdqBatch(Cmdq);
    }

    public IommuInstance Inst { get; }
    public SmmuV3Config Cfg { get; }
    /// <summary>The SMMU's TLB: entries tagged by ASID (YAML <c>iotlb</c>).</summary>
    public Iotlb Tlb { get; }
    public CommandQueue Cmdq { get; }
    /// <summary>One batch reused by every invalidation (the model runs one CPU).</summary>
    public CmdqBatch Batch { get; }
    /// <summary>The level-2 tables allocated (their L1 index), 2-level only.</summary>
    public HashSet<uint> L2Tables { get; } = new();
    private readonly Dictionary<uint, ulong[]> _stes = new();
    /// <summary>
    /// SMMU_CR0.SMMUEN: set by arm_smmu_device_reset before the SMMU registers; cleared by the probe's
    /// error path (arm_smmu_device_disable) when the registration fails. While clear the stream table is
    /// not used: traffic follows SMMU_GBPA (<see cref="SmmuV3Config.GbpaAbort"/>), and no event is recorded.
    /// </summary>
    public bool Enabled { get; set; } = true;
    /// <summary>smmu->streams: stream ID → the master that inserted it.</summary>
    public Dictionary<uint, SmmuV3Master> Streams { get; } = new();

    /// <summary>arm_smmu_sid_in_range: below num_l1_ents × 256 (2-level) or the linear table's 2^sid_bits entries.</summary>
    public bool SidInRange(uint sid) => sid < Cfg.Covered;

    /// <summary>Whether the hardware finds an STE for the SID: in range and, with two levels, its level-2 table allocated.</summary>
    public bool HasSte(uint sid) => SidInRange(sid) && (!Cfg.UsesTwoLevel || L2Tables.Contains(sid >> SmmuV3Config.StrtabSplit));

    /// <summary>arm_smmu_get_step_for_sid: the STE of a SID the table covers (abort until written).</summary>
    public ulong[] Ste(uint sid)
    {
        if (!_stes.TryGetValue(sid, out var ste)) _stes[sid] = ste = StreamTableEntry.Abort();
        return ste;
    }

    public AsidTlb AsidTlb(ushort asid) => new(Tlb, asid);
}
