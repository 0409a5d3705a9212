namespace ScenarioEngine.Dma;

/// <summary>
/// The ordered set of IOVA ranges behind <see cref="IovaAllocator"/>: a treap over [Lo, Hi] keyed
/// by Lo, nodes in a struct array addressed by stable integer handles (so "cached_node" is a handle,
/// as the kernel's is a pointer), with order links for rb_prev/rb_next. Only the order of nodes is
/// observable, so any balanced tree gives the kernel's results (lib/rbtree.c's exact shape is not
/// needed); priorities come from a fixed-seed xorshift so even the shape is repeatable.
/// </summary>
internal sealed class IovaTree
{
    public const int Nil = -1;

    private struct Node
    {
        public ulong Lo, Hi;
        public int Left, Right, Parent;
        public int Pred, Succ;
        public uint Prio;
    }

    private Node[] _n = new Node[64];
    private int _used;
    private int _freeList = Nil;
    private int _root = Nil;
    private uint _rng = 2463534242;
    public int Count { get; private set; }

    public ulong Lo(int i) => _n[i].Lo;
    public ulong Hi(int i) => _n[i].Hi;
    public void SetLo(int i, ulong lo) => _n[i].Lo = lo;

    private int NewNode(ulong lo, ulong hi)
    {
        int i;
        if (_freeList != Nil)
        {
            i = _freeList;
            _freeList = _n[i].Left;
        }
        else
        {
            if (_used == _n.Length) Array.Resize(ref _n, _n.Length * 2);
            i = _used++;
        }
        _rng ^= _rng << 13;
        _rng ^= _rng >> 17;
        _rng ^= _rng << 5;
        _n[i] = new Node { Lo = lo, Hi = hi, Left = Nil, Right = Nil, Parent = Nil, Pred = Nil, Succ = Nil, Prio = _rng };
        Count++;
        return i;
    }

    /// <summary>
    /// iova_insert_rbtree: insert by Lo. <paramref name="successor"/>, when given, is the node the new
    /// one goes right before (alloc_iova's "prev"); the search starts there, as the kernel's does.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int Insert(ulong lo, ulong hi, int successor = Nil)
    {
        int x = NewNode(lo, hi);
        var nn = _n;
        if (_root == Nil) { _root = x; return x; }
        int cur = successor != Nil ? successor : _root;
        while (true)
        {
            if (lo < nn[cur].Lo)
            {
                if (nn[cur].Left == Nil) { nn[cur].Left = x; break; }
                cur = nn[cur].Left;
            }
            else
            {
                if (nn[cur].Right == Nil) { nn[cur].Right = x; break; }
                cur = nn[cur].Right;
            }
        }
        nn[x].Parent = cur;
        // order links: a new leaf sits right after its parent (right child) or right before it (left child)
        int pred, succ;
        if (nn[cur].Right == x) { pred = cur; succ = nn[cur].Succ; }
        else { succ = cur; pred = nn[cur].Pred; }
        nn[x].Pred = pred;
        nn[x].Succ = succ;
        if (pred != Nil) nn[pred].Succ = x;
        if (succ != Nil) nn[succ].Pred = x;
        while (nn[x].Parent != Nil && nn[nn[x].Parent].Prio < nn[x].Prio) RotateUp(x);
        return x;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RotateUp(int x)
    {
        var nn = _n;
        int p = nn[x].Parent, g = nn[p].Parent;
        if (nn[p].Left == x)
        {
            int b = nn[x].Right;
            nn[p].Left = b;
            if (b != Nil) nn[b].Parent = p;
            nn[x].Right = p;
        }
        else
        {
            int b = nn[x].Left;
            nn[p].Right = b;
            if (b != Nil) nn[b].Parent = p;
            nn[x].Left = p;
        }
        nn[p].Parent = x;
        nn[x].Parent = g;
        if (g == Nil) _root = x;
        else if (nn[g].Left == p) nn[g].Left = x;
        else nn[g].Right = x;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Erase(int x)
    {
        var nn = _n;
        while (nn[x].Left != Nil && nn[x].Right != Nil)
        {
            int l = nn[x].Left, r = nn[x].Right;
            RotateUp(nn[l].Prio > nn[r].Prio ? l : r);
        }
        if (nn[x].Pred != Nil) nn[nn[x].Pred].Succ = nn[x].Succ;
        if (nn[x].Succ != Nil) nn[nn[x].Succ].Pred = nn[x].Pred;
        int child = nn[x].Left != Nil ? nn[x].Left : nn[x].Right;
        int p = nn[x].Parent;
        if (child != Nil) nn[child].Parent = p;
        if (p == Nil) _root = child;
        else if (nn[p].Left == x) nn[p].Left = child;
        else nn[p].Right = child;
        nn[x].Left = _freeList;
        nn[x].Parent = Nil;
        nn[x].Right = Nil;
        _freeList = x;
        Count--;
    }

    /// <summary>rb_prev (kept as an order link, so a walk costs one read per step).</summary>
    public int Prev(int x) => _n[x].Pred;

    /// <summary>rb_next.</summary>
    public int Next(int x) => _n[x].Succ;

    public int First()
    {
        int x = _root;
        if (x == Nil) return Nil;
        while (_n[x].Left != Nil) x = _n[x].Left;
        return x;
    }

    /// <summary>private_find_iova: the node whose [Lo, Hi] contains pfn.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int Find(ulong pfn)
    {
        var nn = _n;
        int x = _root;
        while (x != Nil)
        {
            if (pfn < nn[x].Lo) x = nn[x].Left;
            else if (pfn > nn[x].Hi) x = nn[x].Right;
            else return x;
        }
        return Nil;
    }

    /// <summary>The lowest node with Hi ≥ limit (the node straddling limit, or the first above it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int FirstHiAtLeast(ulong limit)
    {
        var nn = _n;
        int x = _root, best = Nil;
        while (x != Nil)
        {
            if (nn[x].Hi >= limit) { best = x; x = nn[x].Left; }
            else x = nn[x].Right;
        }
        return best;
    }
}
