using System.Numerics;
using System.Runtime.CompilerServices;
using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.PageTables;

public enum LpaeStage { S1 = 1, S2 = 2 }

/// <summary>
/// Arm LPAE 64-bit, stage 1 and stage 2 (drivers/iommu/io-pgtable-arm.c, v6.16 text compared with
/// Linux 7.0). Models: granule choice and page-size narrowing
/// (arm_lpae_restrict_pgsizes: 4K|2M|1G, 16K|32M, 64K|512M(|4T with oas > 48), ias/oas clamped to 48,
/// or 52 with the 64K granule, before any check), the TCR.IPS/VTCR.PS output sizes (32, 36, 40, 42,
/// 44, 48, 52; any other oas is NULL), levels and start level
/// from ias (an ias at or below the granule's shift leaves no level to walk: start level 4, accepted as
/// the kernel accepts it, and every map, unmap and lookup WARNs and fails), the top table's size
/// (pgd_bits), the PGD's allocation (iommu_alloc_pages_node_sz: at least a page, aligned to its size),
/// stage-2 concatenation when architecturally mandatory
/// (arm_lpae_concat_mandatory), arm_lpae_prot_to_pte for both stages (nG, AP, DBM with ARM_HD,
/// AttrIndx / MemAttr incl. S2FWB, SH, AF, XN, NS, NSTABLE), paddr_to_iopte's folding of PA[51:48]
/// into bits 15:12 (for every granule, as the kernel does: an output address that crosses 2^48 inside
/// one call folds) and iopte_to_paddr's unfolding with the 64K granule,
/// map_pages capped at the end of the current table (arm_lpae_max_entries: a whole table, also at a
/// PGD smaller than one, whose entries past the PGD are written where no walk reaches them) with the
/// leaf/table check of arm_lpae_init_pte,
/// silent block-over-table replacement, unmap_pages stopping at the first empty entry, refusal of a
/// partial unmap of a block (WARN_ONCE, 0), tables never freed when they empty, WARNs counted
/// (suppressed by NO_WARN where the kernel suppresses them: the existing-mapping and empty-entry
/// WARNs). Descriptors live in per-table storage registered in <see cref="PhysicalMemory"/> at the
/// tables' physical addresses.
/// Not modelled: ARM_32 formats and Mali, TTBR1 (the sign-extension test is), non-coherent walk
/// syncing, dirty tracking, TCR/MAIR/VTCR register values; entries written past a PGD's page (a PGD
/// below 4 KiB with the 16K or 64K granule, which the kernel writes over whatever memory follows the
/// page) are kept with the PGD, and the map's note says so. 52-bit addresses with the 64K granule are
/// modelled as the kernel builds them (PA[51:48] in descriptor bits 15:12, a 4T level-1 block); whether
/// the SMMU hardware implements 52-bit output (FEAT_LPA) is the driver's question, not the format's.
/// </summary>
public sealed class ArmLpaePageTable : IIoPageTable
{
    /// <summary>ARM_64_LPAE_S1's entry of io_pgtable_init_table (io_pgtable_arm_64_lpae_s1_init_fns).</summary>
    public static readonly IoPgtableFormat InitFnsS1 = new("arm-lpae-s1", 0x4020_1000, 8, AllocRules,
        (cfg, mem, pages) => Alloc(LpaeStage.S1, cfg, mem, pages));

    /// <summary>ARM_64_LPAE_S2's entry of io_pgtable_init_table (io_pgtable_arm_64_lpae_s2_init_fns).</summary>
    public static readonly IoPgtableFormat InitFnsS2 = new("arm-lpae-s2", 0x4020_1000, 8, AllocRules,
        (cfg, mem, pages) => Alloc(LpaeStage.S2, cfg, mem, pages));

    private const string AllocRules = "arm_lpae_alloc_pgtable: a 4K/16K/64K granule in the bitmap, the stage's quirks only, ias of at least 3 (below, pgd_bits is negative and the kernel shifts by it), and an oas (once clamped to 48, or 52 with 64K) that TCR.IPS/VTCR.PS encode: 32, 36, 40, 42, 44, 48 or 52";

    private const int MaxLevels = 4;
    private const ulong TypeBlock = 1, TypeTable = 3, TypePage = 3;
    private const ulong AddrMask = 0x0000_ffff_ffff_f000UL; // GENMASK(47, 12)
    private const ulong NG = 1UL << 11, ApUnpriv = 1UL << 6, ApRdonly = 2UL << 6, Dbm = 1UL << 51;
    private const ulong HapRead = 1UL << 6, HapWrite = 2UL << 6;
    private const ulong ShIs = 3UL << 8, ShOs = 2UL << 8, Af = 1UL << 10, Xn = 3UL << 53, Ns = 1UL << 5, NsTable = 1UL << 63;
    private const int AttrIdxCache = 1, AttrIdxDev = 2;

    /// <summary>
    /// An entry of a table above the last level: the descriptor and, when it is a table descriptor, the
    /// next level's storage (a <c>Slot[]</c>, or a <c>ulong[]</c> at the last level) — so a walk makes one
    /// dependent load per level, as the kernel's does (a descriptor, then the table it points to). The
    /// last level, where almost all entries live, is a plain array of descriptors.
    /// </summary>
    private struct Slot
    {
        public ulong Pte;
        public object? Next;
    }

    /// <summary>A table of slots as <see cref="PhysicalMemory"/> reads it: the descriptors only.</summary>
    private sealed class SlotWords(Slot[] slots) : IDescriptorWords
    {
        public int Count => slots.Length;
        public ulong Word(int index) => slots[index].Pte;
    }

    private readonly PhysicalMemory _mem;
    private readonly PageAllocator _alloc;
    /// <summary>The PGD: slots when it is above the last level, descriptors when it is the last level; neither when there is no level (start level 4).</summary>
    private readonly Slot[]? _pgdDir;
    private readonly ulong[]? _pgdLeaf;
    private readonly ulong _pgdPa;
    /// <summary>Entries a walk reaches in the PGD (1 &lt;&lt; pgd_bits); its storage may hold a whole table more (arm_lpae_max_entries).</summary>
    private readonly int _pgdEntries;
    private readonly ulong _pgdAllocBytes;
    private readonly int _bpl, _startLevel, _pgdBits, _ptesPerTable;
    private readonly ulong _granule;
    private readonly ulong _tableLimit;
    private readonly bool _noWarn, _unpack52, _ns;
    private readonly int _ias, _oas;
    private readonly ulong _pgsizeBitmap;
    private readonly HashSet<string> _warnedOnce = new();
    private ulong _tableBytes;
    // ARM_LPAE_LVL_SHIFT and the ARM_LPAE_LVL_IDX mask per level, computed once; the last level's in fields
    private readonly int[] _shift = new int[MaxLevels + 1];
    private readonly ulong[] _idxMask = new ulong[MaxLevels + 1];
    private readonly int _leafShift;
    private readonly ulong _leafMask;
    /// <summary>The IOVA bits above a last-level table: the key of <see cref="_leafTable"/>.</summary>
    private readonly int _keyShift;
    /// <summary>
    /// The last-level table a driver mapping page by page keeps landing in, and its key. It is written
    /// only when two calls in a row reach the same table (a reference store costs a GC write barrier:
    /// a random access order must not pay one per call); <see cref="_lastKey"/> is the key of the last walk.
    /// </summary>
    private ulong[]? _leafTable;
    private ulong _leafKey = ulong.MaxValue, _lastKey = ulong.MaxValue;
    private Prot _lastProt = (Prot)(-1);
    private ulong _lastPte;

    public LpaeStage Stage { get; }
    public IoPgtableFormat Fmt => Stage == LpaeStage.S1 ? InitFnsS1 : InitFnsS2;
    public string Format => Fmt.Name;
    public IoPgtableCfg Cfg { get; }
    public ulong Ttbr => _pgdPa;
    public int Warnings { get; private set; }
    public ulong TableBytes => _tableBytes;
    public int StartLevel => _startLevel;
    public ulong PgdBytes => 8UL << _pgdBits;

    private ArmLpaePageTable(LpaeStage stage, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc, int bpl, int startLevel, int pgdBits, ulong pgdPa, ulong pgdAllocBytes)
    {
        Stage = stage;
        Cfg = cfg;
        _mem = mem;
        _alloc = alloc;
        _bpl = bpl;
        _startLevel = startLevel;
        _pgdBits = pgdBits;
        _ptesPerTable = 1 << bpl;
        _granule = 8UL << bpl;
        _tableLimit = 1UL << cfg.Oas;
        _noWarn = (cfg.Quirks & PgtableQuirks.NoWarn) != 0;
        _ns = (cfg.Quirks & PgtableQuirks.ArmNs) != 0;
        _unpack52 = _granule >= 0x10000;
        _ias = cfg.Ias;
        _oas = cfg.Oas;
        _pgsizeBitmap = cfg.PgsizeBitmap;
        for (int l = 0; l <= MaxLevels; l++)
        {
            _shift[l] = (MaxLevels - l) * bpl + 3;
            _idxMask[l] = (1UL << (bpl + (l == startLevel ? pgdBits - bpl : 0))) - 1;
        }
        _leafShift = _shift[MaxLevels - 1];
        _leafMask = _idxMask[MaxLevels - 1];
        _keyShift = _shift[MaxLevels - 2];
        _pgdPa = pgdPa;
        _pgdAllocBytes = pgdAllocBytes;
        _pgdEntries = 1 << pgdBits;
        // arm_lpae_max_entries caps a run at the start level by a whole table, not by the PGD: the
        // storage holds at least a table, of which the PGD's page (or pages) is what memory shows
        int storage = Math.Max(_pgdEntries, _ptesPerTable);
        ulong shown = Math.Min((ulong)storage * 8, pgdAllocBytes);
        if (startLevel < MaxLevels - 1)
        {
            _pgdDir = new Slot[storage];
            mem.Map(pgdPa, new SlotWords(_pgdDir), shown);
        }
        else
        {
            // start level 3 (a last-level PGD), or 4 (no level: nothing is ever written)
            var words = new ulong[startLevel == MaxLevels - 1 ? storage : _pgdEntries];
            if (startLevel == MaxLevels - 1) _pgdLeaf = words;
            mem.Map(pgdPa, words, Math.Min((ulong)words.Length * 8, pgdAllocBytes));
        }
        _tableBytes = Math.Max(8UL << pgdBits, 64);
    }

    /// <summary>arm_64_lpae_alloc_pgtable_s1 / _s2: null where the kernel returns NULL.</summary>
    public static ArmLpaePageTable? Alloc(LpaeStage stage, IoPgtableCfg cfg, PhysicalMemory mem, PageAllocator alloc)
    {
        var accepted = stage == LpaeStage.S1
            ? PgtableQuirks.ArmNs | PgtableQuirks.ArmTtbr1 | PgtableQuirks.ArmOuterWbwa | PgtableQuirks.ArmHd | PgtableQuirks.NoWarn
            : PgtableQuirks.ArmS2Fwb | PgtableQuirks.NoWarn;
        if ((cfg.Quirks & ~accepted) != 0) return null;
        if ((cfg.Quirks & PgtableQuirks.ArmTtbr1) != 0) return null; // not modelled: refuse rather than get it wrong
        // arm_lpae_alloc_pgtable: arm_lpae_restrict_pgsizes narrows the page sizes to one granule AND
        // clamps ias/oas to what that granule can address (48 bits; 52 with 64K) before any check, so
        // an SMMU reporting a 52-bit VA gets a 48-bit table with 4K pages, not a refusal.
        var (bitmap, ias, oas) = Restrict(cfg.PgsizeBitmap, cfg.Ias, cfg.Oas);
        if ((bitmap & (0x1000UL | 0x4000UL | 0x10000UL)) == 0) return null;
        if (ias > MaxAddrBits || oas > MaxAddrBits) return null; // ARM_LPAE_MAX_ADDR_BITS
        // arm_64_lpae_alloc_pgtable_s1 / _s2: TCR.IPS / VTCR.PS encode only these output sizes;
        // any other oas is "goto out_free_data" (NULL), e.g. oas 41 or 47.
        if (oas is not (32 or 36 or 40 or 42 or 44 or 48 or 52)) return null;
        cfg = cfg with { Ias = ias, Oas = oas };
        int pgShift = BitOperations.TrailingZeroCount(bitmap);
        int bpl = pgShift - 3;
        // va_bits, levels and pgd_bits as the kernel computes them, in signed arithmetic that truncates
        // toward zero: an ias at or below the granule's shift gives 0 levels, start level 4 (accepted;
        // every map, unmap and lookup then WARNs and fails), and below 3 a negative pgd_bits, by which
        // ARM_LPAE_PGD_SIZE shifts (undefined behaviour in C): refused.
        int vaBits = cfg.Ias - pgShift;
        int levels = (vaBits + bpl - 1) / bpl;
        int start = MaxLevels - levels;
        int pgdBits = vaBits - bpl * (levels - 1);
        if (pgdBits < 0) return null;
        if (stage == LpaeStage.S2 && ConcatMandatory(8UL << bpl, start, cfg.Ias, cfg.Oas))
        {
            if ((1 << pgdBits) > 16) return null; // ARM_LPAE_S2_MAX_CONCAT_PAGES (WARN_ON)
            pgdBits += bpl;
            start++;
        }
        // __arm_lpae_alloc_pages: max(size, 64) from iommu_alloc_pages_node_sz, which hands out whole
        // pages (get_order) aligned to their size: a PGD below 4 KiB has a page of its own
        ulong pgdAlloc = Math.Max(0x1000UL, BitOperations.RoundUpToPowerOf2(Math.Max(8UL << pgdBits, 64)));
        var pa = alloc.AllocKernel(pgdAlloc, pgdAlloc, 1UL << cfg.Oas);
        if (pa is null) return null;
        return new ArmLpaePageTable(stage, cfg with { PgsizeBitmap = bitmap }, mem, alloc, bpl, start, pgdBits, pa.Value, pgdAlloc);
    }

    /// <summary>ARM_LPAE_MAX_ADDR_BITS.</summary>
    public const int MaxAddrBits = 52;

    /// <summary>
    /// arm_lpae_restrict_pgsizes (io-pgtable-arm.c, Linux 7.0) with a 4 KiB CPU page size: the page
    /// sizes of one granule (4K|2M|1G, 16K|32M, 64K|512M, and 4T with 64K when oas is above 48), and
    /// ias/oas clamped to the granule's reach (max_addr_bits: 48, or 52 with the 64K granule).
    /// </summary>
    public static (ulong Bitmap, int Ias, int Oas) Restrict(ulong bitmap, int ias, int oas)
    {
        ulong sizes = RestrictPgsizes(bitmap);
        int max = (sizes & 0x10000UL) != 0 ? 52 : 48;
        if ((sizes & 0x10000UL) != 0 && oas > 48) sizes |= bitmap & (1UL << 42);
        return (sizes, Math.Min(ias, max), Math.Min(oas, max));
    }

    /// <summary>The page-size half of arm_lpae_restrict_pgsizes (without the 64K granule's 4T block, which depends on oas: <see cref="Restrict"/>).</summary>
    public static ulong RestrictPgsizes(ulong bitmap)
    {
        const ulong page = 0x1000, pageMask = ~(page - 1);
        ulong granule;
        if ((bitmap & page) != 0) granule = page;
        else if ((bitmap & ~pageMask) != 0) granule = 1UL << (63 - BitOperations.LeadingZeroCount(bitmap & ~pageMask));
        else if ((bitmap & pageMask) != 0) granule = 1UL << BitOperations.TrailingZeroCount(bitmap & pageMask);
        else granule = 0;
        return granule switch
        {
            0x1000 => bitmap & (0x1000UL | 0x20_0000UL | 0x4000_0000UL),
            0x4000 => bitmap & (0x4000UL | 0x200_0000UL),
            0x10000 => bitmap & (0x10000UL | 0x2000_0000UL),
            _ => 0,
        };
    }

    /// <summary>
    /// arm_lpae_concat_mandatory (io-pgtable-arm.c, Linux 7.0; Arm DDI0487 R_DXBSH, R_SRKBC): 16K
    /// starting at level 0 with ias or oas 48; 4K starting at level 0 with oas 40 or 42; 16K starting
    /// at level 1 with oas 40.
    /// </summary>
    private static bool ConcatMandatory(ulong granule, int start, int ias, int oas) =>
        (granule == 0x4000 && start == 0 && (oas == 48 || ias == 48))
        || (granule == 0x1000 && start == 0 && oas is 40 or 42)
        || (granule == 0x4000 && start == 1 && oas == 40);


    // ----- geometry -----
    private ulong BlockSize(int l) => 1UL << _shift[l];
    private int LvlIdx(ulong iova, int l) => (int)((iova >> _shift[l]) & _idxMask[l]);
    /// <summary>arm_lpae_max_entries: the entries from <paramref name="i"/> to the end of its table page.</summary>
    private int MaxEntries(int i) => _ptesPerTable - (i & (_ptesPerTable - 1));
    private static bool IsLeaf(ulong pte, int lvl) => lvl == MaxLevels - 1 ? (pte & 3) == TypePage : (pte & 3) == TypeBlock;

    /// <summary>A WARN_ON the kernel prints whatever the quirks.</summary>
    private void Warn() => Warnings++;

    /// <summary>WARN_ON(!(cfg->quirks &amp; IO_PGTABLE_QUIRK_NO_WARN)): an existing mapping, an empty entry.</summary>
    private void WarnUnlessNoWarn()
    {
        if (!_noWarn) Warnings++;
    }

    private void WarnOnce(string key)
    {
        if (_warnedOnce.Add(key)) Warnings++;
    }

    /// <summary>paddr_to_iopte: PA[47:12], with PA[51:48] folded into bits 15:12 (for every granule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PaddrToPte(ulong pa) => (pa | (pa >> (48 - 12))) & AddrMask;

    /// <summary>iopte_to_paddr: bits 47:12, and with the 64K granule bits 15:12 rotated back to PA[51:48].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PteToPaddr(ulong pte)
    {
        ulong pa = pte & AddrMask;
        return _unpack52 ? (pa | (pa << (48 - 12))) & (AddrMask << 4) : pa;
    }

    /// <summary>arm_lpae_prot_to_pte.</summary>
    private ulong ProtToPte(Prot prot)
    {
        ulong pte;
        if (Stage == LpaeStage.S1)
        {
            pte = NG;
            if ((prot & Prot.Write) == 0 && (prot & Prot.Read) != 0) pte |= ApRdonly;
            else if ((Cfg.Quirks & PgtableQuirks.ArmHd) != 0) pte |= Dbm;
            if ((prot & Prot.Priv) == 0) pte |= ApUnpriv;
            if ((prot & Prot.Mmio) != 0) pte |= (ulong)AttrIdxDev << 2;
            else if ((prot & Prot.Cache) != 0) pte |= (ulong)AttrIdxCache << 2;
        }
        else
        {
            pte = 0;
            if ((prot & Prot.Read) != 0) pte |= HapRead;
            if ((prot & Prot.Write) != 0) pte |= HapWrite;
            if ((prot & Prot.Mmio) != 0) pte |= 0x1UL << 2;
            else if ((prot & Prot.Cache) != 0) pte |= ((Cfg.Quirks & PgtableQuirks.ArmS2Fwb) != 0 ? 0x6UL : 0xfUL) << 2;
            else pte |= 0x5UL << 2;
        }
        pte |= (prot & Prot.Cache) != 0 ? ShIs : ShOs;
        if ((prot & Prot.NoExec) != 0) pte |= Xn;
        if (_ns) pte |= Ns;
        pte |= Af;
        return pte;
    }

    /// <summary>
    /// __arm_lpae_alloc_pages and arm_lpae_install_table: a zeroed table for <paramref name="level"/>,
    /// its descriptor written into <paramref name="slot"/>. Null when the allocator has no memory below the limit.
    /// </summary>
    private object? NewTable(int level, ref Slot slot)
    {
        var pa = _alloc.AllocKernel(_granule, _granule, _tableLimit);
        if (pa is null) return null;
        object storage;
        if (level == MaxLevels - 1)
        {
            var words = new ulong[_ptesPerTable];
            _mem.Map(pa.Value, words);
            storage = words;
        }
        else
        {
            var slots = new Slot[_ptesPerTable];
            _mem.Map(pa.Value, new SlotWords(slots), _granule);
            storage = slots;
        }
        _tableBytes += _granule;
        slot.Pte = PaddrToPte(pa.Value) | TypeTable | (_ns ? NsTable : 0);
        slot.Next = storage;
        return storage;
    }

    private static Outcome NoMemory() => Outcome.Fail(Errno.ENOMEM, "__arm_lpae_alloc_pages: no memory for a table (io-pgtable-arm.c)");

    private Outcome BlockCovers(int lvl, ulong iova)
    {
        WarnUnlessNoWarn();
        return Outcome.Fail(Errno.EEXIST, $"__arm_lpae_map: a {Hex.Size(BlockSize(lvl))} block already covers {Hex.Of(iova)} (io-pgtable-arm.c)");
    }

    private Outcome NoTableBelowTheLastLevel()
    {
        Warn();
        return Outcome.Fail(Errno.EINVAL, "__arm_lpae_map: no table below the last level (io-pgtable-arm.c)");
    }

    // ----- map (arm_lpae_map_pages, __arm_lpae_map, arm_lpae_init_pte) -----
    public Outcome MapPages(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, out ulong mapped)
    {
        mapped = 0;
        if (pgsize == 0 || (pgsize & _pgsizeBitmap) != pgsize)
        {
            Warn();
            return Outcome.Fail(Errno.EINVAL, $"arm_lpae_map_pages: page size {Hex.Size(pgsize)} is not in the bitmap {Hex.Of(_pgsizeBitmap)} (io-pgtable-arm.c)");
        }
        if ((long)iova >> _ias != 0 || paddr >> _oas != 0)
        {
            Warn();
            return Outcome.Fail(Errno.ERANGE, $"arm_lpae_map_pages: iova {Hex.Of(iova)} beyond ias {_ias} or pa {Hex.Of(paddr)} beyond oas {_oas} (io-pgtable-arm.c)");
        }
        if ((prot & (Prot.Read | Prot.Write)) == 0)
            return Outcome.Fail(Errno.EINVAL, "arm_lpae_map_pages: prot has neither READ nor WRITE (io-pgtable-arm.c)");
        if (prot != _lastProt) { _lastPte = ProtToPte(prot); _lastProt = prot; }
        if (pgsize == _granule && _startLevel < MaxLevels)
        {
            // pages into a last-level table (a driver mapping page by page: the common case)
            ulong key = iova >> _keyShift;
            ulong[]? leaf;
            if (key == _leafKey) leaf = _leafTable!;
            else if ((leaf = LeafForMap(iova, key, out var fail)) is null) return fail;
            int idx = (int)((iova >> _leafShift) & _leafMask);
            if (pgcount == 1)
            {
                ref ulong e = ref leaf[idx];
                if (e == 0)
                {
                    e = _lastPte | TypePage | PaddrToPte(paddr);
                    mapped = pgsize;
                    return Outcome.Success;
                }
            }
            return InitPages(leaf, idx, iova, paddr, pgcount, ref mapped);
        }
        return MapAbove(iova, paddr, pgsize, pgcount, ref mapped);
    }

    /// <summary>
    /// The last-level table holding <paramref name="iova"/>, tables made on the way where entries are
    /// empty (__arm_lpae_map's descent); null with the failure where a block covers it or memory ran out.
    /// </summary>
    private ulong[]? LeafForMap(ulong iova, ulong key, out Outcome fail)
    {
        fail = default;
        ulong[] leaf;
        if (_pgdDir is { } dir)
        {
            for (int lvl = _startLevel; ; lvl++)
            {
                ref Slot s = ref dir[(int)((iova >> _shift[lvl]) & _idxMask[lvl])];
                object? next = s.Next;
                if (next is null)
                {
                    if (s.Pte != 0) { fail = BlockCovers(lvl, iova); return null; }
                    next = NewTable(lvl + 1, ref s);
                    if (next is null) { fail = NoMemory(); return null; }
                }
                if (lvl == MaxLevels - 2) { leaf = Unsafe.As<ulong[]>(next); break; }
                dir = Unsafe.As<Slot[]>(next);
            }
        }
        else leaf = _pgdLeaf!;
        Remember(leaf, key);
        return leaf;
    }

    /// <summary>Keeps <paramref name="leaf"/> as the last-level table of the next calls once two walks in a row reached it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Remember(ulong[] leaf, ulong key)
    {
        if (key == _lastKey) { _leafTable = leaf; _leafKey = key; }
        _lastKey = key;
    }

    /// <summary>arm_lpae_init_pte at the last level: every entry of the run must be empty (a page there is -EEXIST).</summary>
    private Outcome InitPages(ulong[] t, int idx, ulong iova, ulong paddr, ulong pgcount, ref ulong mapped)
    {
        ulong sz = _granule;
        int num = (int)Math.Min(pgcount, (ulong)MaxEntries(idx));
        var run = t.AsSpan(idx, num);
        int busy = num == 1 ? (run[0] != 0 ? 0 : -1) : run.IndexOfAnyExcept(0UL);
        if (busy >= 0)
        {
            // the last level holds only page entries (nothing else is written there): each one is a leaf
            WarnUnlessNoWarn();
            return Outcome.Fail(Errno.EEXIST, $"arm_lpae_init_pte: {Hex.Of(iova + (ulong)busy * sz)} is already mapped (io-pgtable-arm.c)");
        }
        Fill(run, _lastPte | TypePage, paddr, sz);
        mapped += (ulong)num * sz;
        return PastThePgd(t, idx, num);
    }

    /// <summary>__arm_lpae_init_pte's writes: each entry's output address through paddr_to_iopte.</summary>
    private static void Fill(Span<ulong> run, ulong bits, ulong paddr, ulong sz)
    {
        if (((paddr + (ulong)(run.Length - 1) * sz) >> 48) == 0)
        {
            // no output address at or above 2^48: paddr_to_iopte is PA[47:12] as it is
            ulong v = bits | (paddr & AddrMask);
            for (int i = 0; i < run.Length; i++, v += sz) run[i] = v;
        }
        else
        {
            for (int i = 0; i < run.Length; i++) run[i] = bits | PaddrToPte(paddr + (ulong)i * sz);
        }
    }

    /// <summary>
    /// arm_lpae_max_entries caps a run by a whole table, also at a PGD smaller than one: entries past the
    /// PGD are written where no walk reaches them (a later map there meets them: -EEXIST). The note says so.
    /// </summary>
    private Outcome PastThePgd(object table, int idx, int num)
    {
        if (idx + num <= _pgdEntries || (!ReferenceEquals(table, _pgdDir) && !ReferenceEquals(table, _pgdLeaf))) return Outcome.Success;
        int past = idx + num - Math.Max(idx, _pgdEntries);
        int beyondPage = (int)Math.Max(0L, (long)(idx + num) * 8 - (long)_pgdAllocBytes) / 8;
        return Outcome.Note($"arm_lpae_max_entries caps the run by a whole table, not by the {_pgdEntries}-entry PGD: {past} of its entries are written past the PGD, where no walk reaches them" +
                            (beyondPage > 0 ? $", {beyondPage} of them past the PGD's {Hex.Size(_pgdAllocBytes)} page, over whatever memory follows it in the kernel (kept with the PGD here)" : "") + " (io-pgtable-arm.c)");
    }

    /// <summary>__arm_lpae_map for a block size, or for a page where there is no level above the last.</summary>
    private Outcome MapAbove(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, ref ulong mapped)
    {
        if (_startLevel >= MaxLevels) return NoTableBelowTheLastLevel(); // no level: the size never matches
        if (_pgdDir is not { } dir)
            return pgsize == _granule ? InitPages(_pgdLeaf!, LvlIdx(iova, MaxLevels - 1), iova, paddr, pgcount, ref mapped) : NoTableBelowTheLastLevel();
        for (int lvl = _startLevel; ; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            if (pgsize == BlockSize(lvl)) return InitBlocks(dir, lvl, idx, iova, paddr, pgcount, ref mapped);
            ref Slot s = ref dir[idx];
            object? next = s.Next;
            if (next is null)
            {
                if (s.Pte != 0) return BlockCovers(lvl, iova);
                next = NewTable(lvl + 1, ref s);
                if (next is null) return NoMemory();
            }
            if (lvl == MaxLevels - 2)
            {
                // the size is not the last level's either: __arm_lpae_map's WARN_ON(lvl >= MAX_LEVELS - 1) there
                return pgsize == _granule ? InitPages(Unsafe.As<ulong[]>(next), LvlIdx(iova, MaxLevels - 1), iova, paddr, pgcount, ref mapped) : NoTableBelowTheLastLevel();
            }
            dir = Unsafe.As<Slot[]>(next);
        }
    }

    /// <summary>arm_lpae_init_pte above the last level: a block over a block is -EEXIST, a block over a table frees it silently.</summary>
    private Outcome InitBlocks(Slot[] t, int lvl, int idx, ulong iova, ulong paddr, ulong pgcount, ref ulong mapped)
    {
        ulong sz = BlockSize(lvl);
        int num = (int)Math.Min(pgcount, (ulong)MaxEntries(idx));
        for (int i = 0; i < num; i++)
        {
            ref Slot e = ref t[idx + i];
            if (e.Next is { } table)
            {
                // A block over a next-level table: the table and everything under it go, silently.
                ulong pa = PteToPaddr(e.Pte);
                e.Next = null;
                e.Pte = 0;
                FreeSubtree(table, lvl + 1, pa);
            }
            else if (IsLeaf(e.Pte, lvl))
            {
                WarnUnlessNoWarn();
                return Outcome.Fail(Errno.EEXIST, $"arm_lpae_init_pte: {Hex.Of(iova + (ulong)i * sz)} is already mapped (io-pgtable-arm.c)");
            }
        }
        ulong bits = _lastPte | TypeBlock;
        for (int i = 0; i < num; i++) t[idx + i].Pte = bits | PaddrToPte(paddr + (ulong)i * sz);
        mapped += (ulong)num * sz;
        return PastThePgd(t, idx, num);
    }

    /// <summary>__arm_lpae_free_pgtable of a table at <paramref name="level"/> and everything under it.</summary>
    private void FreeSubtree(object table, int level, ulong pa)
    {
        if (level < MaxLevels - 1)
        {
            var slots = Unsafe.As<Slot[]>(table);
            for (int i = 0; i < slots.Length; i++)
                if (slots[i].Next is { } child) FreeSubtree(child, level + 1, PteToPaddr(slots[i].Pte));
        }
        else if (ReferenceEquals(table, _leafTable))
        {
            _leafTable = null;
            _leafKey = ulong.MaxValue;
        }
        _mem.Unmap(pa, _granule);
        _alloc.FreeKernel(pa, _granule);
        _tableBytes -= _granule;
    }

    // ----- unmap (arm_lpae_unmap_pages, __arm_lpae_unmap) -----
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong UnmapPages(ulong iova, ulong pgsize, ulong pgcount)
    {
        if (pgsize == 0 || (pgsize & _pgsizeBitmap) != pgsize || pgcount == 0) { Warn(); return 0; }
        if ((long)iova >> _ias != 0) { Warn(); return 0; }
        if (pgsize == _granule && _startLevel < MaxLevels)
        {
            ulong key = iova >> _keyShift;
            ulong[]? leaf = key == _leafKey ? _leafTable : LeafForUnmap(iova, key);
            if (leaf is null) return 0;
            int idx = (int)((iova >> _leafShift) & _leafMask);
            ref ulong e = ref leaf[idx];
            // An empty entry: WARN_ON and 0 bytes. Linux 7.0 has upstream 374e7af67d9d ("iommu/io-pgtable-arm:
            // fix size_t signedness bug in unmap path"); older trees returned -ENOENT through the size_t,
            // which callers read as a huge unmapped size.
            if (e == 0) { WarnUnlessNoWarn(); return 0; }
            if (pgcount == 1)
            {
                e = 0; // the one entry, found non-empty above
                return pgsize;
            }
            // The last level holds only page entries (the engine writes no other type there), so
            // __arm_lpae_unmap's loop finds no non-leaf entry: it stops at the first empty one
            // (WARN_ON(!pte)) and clears the rest — a vectorised search for zero.
            int num = (int)Math.Min(pgcount, (ulong)MaxEntries(idx));
            var run = leaf.AsSpan(idx, num);
            int empty = run.IndexOf(0UL);
            if (empty >= 0) WarnUnlessNoWarn();
            int n = empty < 0 ? num : empty;
            run[..n].Clear();
            return (ulong)n * pgsize;
        }
        return UnmapAbove(iova, pgsize, pgcount);
    }

    /// <summary>
    /// The last-level table holding <paramref name="iova"/> for an unmap of pages; null (after the
    /// kernel's WARN) where an entry on the way is empty or is a block (a partial unmap of it).
    /// </summary>
    private ulong[]? LeafForUnmap(ulong iova, ulong key)
    {
        ulong[] leaf;
        if (_pgdDir is { } dir)
        {
            for (int lvl = _startLevel; ; lvl++)
            {
                ref Slot s = ref dir[(int)((iova >> _shift[lvl]) & _idxMask[lvl])];
                object? next = s.Next;
                if (next is null)
                {
                    if (s.Pte == 0) WarnUnlessNoWarn();
                    else WarnOnce("partial-large"); // "Unmap of a partial large IOPTE is not allowed"
                    return null;
                }
                if (lvl == MaxLevels - 2) { leaf = Unsafe.As<ulong[]>(next); break; }
                dir = Unsafe.As<Slot[]>(next);
            }
        }
        else leaf = _pgdLeaf!;
        Remember(leaf, key);
        return leaf;
    }

    /// <summary>__arm_lpae_unmap for a block size, or at a PGD that is the last level.</summary>
    private ulong UnmapAbove(ulong iova, ulong pgsize, ulong pgcount)
    {
        object? table = (object?)_pgdDir ?? _pgdLeaf;
        for (int lvl = _startLevel; lvl < MaxLevels; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            if (lvl == MaxLevels - 1)
            {
                // reached only with a size above the page size: the entry is empty or a page (partial)
                if (Unsafe.As<ulong[]>(table!)[idx] == 0) WarnUnlessNoWarn();
                else WarnOnce("partial-large");
                return 0;
            }
            var dir = Unsafe.As<Slot[]>(table!);
            ref Slot s = ref dir[idx];
            if (s.Pte == 0) { WarnUnlessNoWarn(); return 0; }
            if (pgsize == BlockSize(lvl)) return UnmapBlocks(dir, lvl, idx, pgsize, pgcount);
            if (s.Next is null) { WarnOnce("partial-large"); return 0; }
            table = s.Next;
        }
        Warn(); // __arm_lpae_unmap: WARN_ON(lvl == ARM_LPAE_MAX_LEVELS), a table with no level
        return 0;
    }

    private ulong UnmapBlocks(Slot[] t, int lvl, int idx, ulong pgsize, ulong pgcount)
    {
        int num = (int)Math.Min(pgcount, (ulong)MaxEntries(idx));
        int i = 0;
        for (; i < num; i++)
        {
            ref Slot e = ref t[idx + i];
            if (e.Pte == 0) { WarnUnlessNoWarn(); break; }
            if (e.Next is { } table)
            {
                ulong pa = PteToPaddr(e.Pte);
                e.Pte = 0;
                e.Next = null;
                FreeSubtree(table, lvl + 1, pa);
            }
        }
        for (int j = 0; j < i; j++) t[idx + j].Pte = 0;
        return (ulong)i * pgsize;
    }

    // ----- lookup (arm_lpae_iova_to_phys, arm_lpae_pgtable_walk) -----
    public ulong IovaToPhys(ulong iova)
    {
        ulong[] leaf;
        if (_pgdDir is { } dir)
        {
            for (int lvl = _startLevel; ; lvl++)
            {
                ref Slot s = ref dir[(int)((iova >> _shift[lvl]) & _idxMask[lvl])];
                object? next = s.Next;
                if (next is null)
                {
                    ulong pte = s.Pte;
                    return (pte & 3) == TypeBlock ? PteToPaddr(pte) | (iova & (BlockSize(lvl) - 1)) : 0;
                }
                if (lvl == MaxLevels - 2) { leaf = Unsafe.As<ulong[]>(next); break; }
                dir = Unsafe.As<Slot[]>(next);
            }
        }
        else if (_pgdLeaf is { } pgd) leaf = pgd;
        else { Warn(); return 0; } // __arm_lpae_iopte_walk: WARN_ON(lvl == ARM_LPAE_MAX_LEVELS)
        ulong e = leaf[(int)((iova >> _leafShift) & _leafMask)];
        return (e & 3) == TypePage ? PteToPaddr(e) | (iova & (_granule - 1)) : 0;
    }

    /// <summary>The descriptors on the way to <paramref name="iova"/>; none for a table with no level (start level 4).</summary>
    public IReadOnlyList<WalkStep> Walk(ulong iova)
    {
        var steps = new List<WalkStep>(4);
        object? table = (object?)_pgdDir ?? _pgdLeaf;
        ulong tablePa = _pgdPa;
        for (int lvl = _startLevel; lvl < MaxLevels && table is not null; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            if (lvl == MaxLevels - 1)
            {
                steps.Add(new WalkStep(lvl, (ulong)idx, Unsafe.As<ulong[]>(table)[idx], tablePa));
                break;
            }
            ref Slot s = ref Unsafe.As<Slot[]>(table)[idx];
            steps.Add(new WalkStep(lvl, (ulong)idx, s.Pte, tablePa));
            tablePa = PteToPaddr(s.Pte);
            table = s.Next;
        }
        return steps;
    }

    /// <summary>The walk's last step; for a table with no level, a step at level 4 reading nothing.</summary>
    public WalkStep LastStep(ulong iova)
    {
        object? table = (object?)_pgdDir ?? _pgdLeaf;
        ulong tablePa = _pgdPa;
        for (int lvl = _startLevel; lvl < MaxLevels && table is not null; lvl++)
        {
            int idx = LvlIdx(iova, lvl);
            if (lvl == MaxLevels - 1) return new WalkStep(lvl, (ulong)idx, Unsafe.As<ulong[]>(table)[idx], tablePa);
            ref Slot s = ref Unsafe.As<Slot[]>(table)[idx];
            if (s.Next is null) return new WalkStep(lvl, (ulong)idx, s.Pte, tablePa);
            tablePa = PteToPaddr(s.Pte);
            table = s.Next;
        }
        return new WalkStep(MaxLevels, 0, 0, _pgdPa);
    }

    public IEnumerable<Leaf> Leaves()
    {
        var list = new List<Leaf>();
        if (_pgdDir is not null) Collect(_pgdDir, _startLevel, 0, _pgdEntries, list);
        else if (_pgdLeaf is not null) CollectPages(_pgdLeaf, 0, _pgdEntries, list);
        return list;
    }

    /// <summary>The leaves under a table above the last level (the PGD: its first <paramref name="count"/> entries, those a walk reaches).</summary>
    private void Collect(Slot[] t, int lvl, ulong baseIova, int count, List<Leaf> into)
    {
        for (int i = 0; i < count; i++)
        {
            ulong pte = t[i].Pte;
            if ((pte & 3) == 0) continue;
            ulong iova = baseIova + ((ulong)i << _shift[lvl]);
            if (t[i].Next is { } next)
            {
                if (lvl == MaxLevels - 2) CollectPages(Unsafe.As<ulong[]>(next), iova, _ptesPerTable, into);
                else Collect(Unsafe.As<Slot[]>(next), lvl + 1, iova, _ptesPerTable, into);
            }
            else if (IsLeaf(pte, lvl)) into.Add(new Leaf(iova, PteToPaddr(pte), BlockSize(lvl), DecodeProt(pte)));
        }
    }

    private void CollectPages(ulong[] t, ulong baseIova, int count, List<Leaf> into)
    {
        for (int i = 0; i < count; i++)
        {
            ulong pte = t[i];
            if ((pte & 3) == TypePage) into.Add(new Leaf(baseIova + ((ulong)i << _leafShift), PteToPaddr(pte), _granule, DecodeProt(pte)));
        }
    }

    public string Describe(ulong pte, int level)
    {
        if ((pte & 3) == 0) return "invalid";
        if (!IsLeaf(pte, level)) return $"table → {Hex.Of(PteToPaddr(pte))}" + ((pte & NsTable) != 0 ? " NSTABLE" : "");
        var f = new List<string> { $"{(level == MaxLevels - 1 ? "page" : "block")} {Hex.Size(BlockSize(level))}", "pa " + Hex.Of(PteToPaddr(pte)) };
        if (Stage == LpaeStage.S1)
            f.Add($"AttrIndx={(pte >> 2) & 7} AP[2:1]={(pte >> 6) & 3} nG={(pte >> 11) & 1}");
        else
            f.Add($"MemAttr={Hex.Of((pte >> 2) & 0xf)} HAP={(pte >> 6) & 3}");
        f.Add($"SH={(pte >> 8) & 3} AF={(pte >> 10) & 1}");
        if ((pte & Xn) != 0) f.Add("XN");
        if ((pte & Ns) != 0 && Stage == LpaeStage.S1) f.Add("NS");
        if ((pte & Dbm) != 0 && Stage == LpaeStage.S1) f.Add("DBM");
        return string.Join(", ", f);
    }

    private Prot DecodeProt(ulong pte)
    {
        Prot p;
        if (Stage == LpaeStage.S1)
        {
            p = Prot.Read | ((pte & ApRdonly) != 0 ? Prot.None : Prot.Write);
            if ((pte & ApUnpriv) == 0) p |= Prot.Priv;
            ulong idx = (pte >> 2) & 7;
            if (idx == AttrIdxDev) p |= Prot.Mmio;
            else if (idx == AttrIdxCache) p |= Prot.Cache;
        }
        else
        {
            p = ((pte & HapRead) != 0 ? Prot.Read : Prot.None) | ((pte & HapWrite) != 0 ? Prot.Write : Prot.None);
            ulong attr = (pte >> 2) & 0xf;
            if (attr == 0x1) p |= Prot.Mmio;
            else if (attr is 0xf or 0x6) p |= Prot.Cache;
        }
        if ((pte & Xn) != 0) p |= Prot.NoExec;
        return p;
    }
}
